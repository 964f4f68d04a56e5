package io.tollgate.rules.compile;

import io.tollgate.common.config.ConfigError;
import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@code PolicyFiles} lists a policy directory: the policy files in the order rules evaluate (by
 * relative path), and a stamp of every file so that changes can be noticed without reading them.
 *
 * <p>Hidden files and directories, editor backups and the {@code tests/} directory (rule test
 * cases) are not policy. Symbolic links are followed and their targets stamped, so the layout
 * Kubernetes gives a ConfigMap volume ({@code rules.yaml -> ..data/rules.yaml}, {@code ..data} a
 * link to a hidden timestamped directory, swapped atomically on update) is seen to change, and its
 * hidden entries are not read a second time.
 *
 * <p>The policy directory is a boundary: everything a policy reads, policy files and the files its
 * handlers name alike, must resolve inside it after following links ({@link #inside}). An entry
 * leading outside, a link loop and a broken link to a policy file are problems of the version, so
 * the last good version keeps serving.
 *
 * @param dir the directory
 * @param yaml YAML files, sorted by relative path
 * @param engineFiles the files each policy engine claims ({@code engineOf}), by engine, sorted by
 *     relative path
 * @param engineOf which engine claims a file name, {@code null} for none
 * @param stamps every file below the directory with its target, size and modification time
 * @param sizes the size of every policy file when it was stamped, to tell a read caught mid-write
 * @param problems entries refused by the boundary, and links that lead nowhere
 */
public record PolicyFiles(
    Path dir,
    List<Path> yaml,
    Map<String, List<Path>> engineFiles,
    Function<String, String> engineOf,
    Map<Path, String> stamps,
    Map<Path, Long> sizes,
    List<ConfigError> problems) {

  /** A file that the boundary refuses: it resolves outside the policy directory. */
  public static final class OutsideException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutsideException(String message) {
      super(message);
    }
  }

  /** Largest policy file read, in bytes; the YAML reader refuses more characters than this too. */
  public static final long MAX_FILE_BYTES = 16L * 1024 * 1024;

  /** Largest policy directory read, in bytes of policy files. */
  public static final long MAX_POLICY_BYTES = 64L * 1024 * 1024;

  /** Most entries listed in a policy directory; the listing stops there. */
  public static final int MAX_ENTRIES = 10_000;

  /** Whether there is anything to decide with. */
  public boolean isEmpty() {
    return yaml.isEmpty() && engineFiles.isEmpty();
  }

  /** The files of {@code dir}, each engine's as {@code engineOf} says, the others' YAML. */
  public static PolicyFiles scan(Path dir, Function<String, String> engineOf) throws IOException {
    Path real = dir.toRealPath();
    List<Path> yaml = new ArrayList<>();
    Map<String, List<Path>> engineFiles = new TreeMap<>();
    Map<Path, String> stamps = new HashMap<>();
    Map<Path, Long> sizes = new HashMap<>();
    List<ConfigError> problems = new ArrayList<>();
    long[] policyBytes = {0};
    Files.walkFileTree(
        dir,
        EnumSet.of(FileVisitOption.FOLLOW_LINKS),
        Integer.MAX_VALUE,
        new SimpleFileVisitor<>() {
          private String rel(Path p) {
            return dir.relativize(p).toString().replace('\\', '/');
          }

          /** Refuses {@code p} if it leads outside; true when it may be used. */
          private boolean allowed(Path p) {
            String outside = outside(real, p);
            if (outside == null) {
              return true;
            }
            stamps.put(p, "outside " + outside + " " + linkStamp(p));
            problems.add(ConfigError.of(rel(p), refusal(outside, dir)));
            return false;
          }

          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            if (d.equals(dir)) {
              return FileVisitResult.CONTINUE;
            }
            String n = d.getFileName().toString();
            boolean testsDir = d.getParent().equals(dir) && n.equals("tests");
            if (n.startsWith(".") || testsDir) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            return allowed(d) ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
            if (stamps.size() >= MAX_ENTRIES) {
              problems.add(
                  ConfigError.of(
                      ".",
                      "more than "
                          + MAX_ENTRIES
                          + " files in the policy directory; the rest were not read. Keep only"
                          + " policy in it"));
              return FileVisitResult.TERMINATE;
            }
            String n = f.getFileName().toString();
            if (n.startsWith(".") || n.endsWith("~") || n.startsWith("#")) {
              return FileVisitResult.CONTINUE;
            }
            String engine = engineOf.apply(n);
            boolean policy = engine != null || isYaml(n);
            if (attrs.isSymbolicLink()) {
              // Links are followed, so these are links that lead nowhere: broken, or in a loop.
              stamps.put(f, "dangling " + linkStamp(f));
              String why = danglingReason(f);
              if (policy || why.startsWith("a symbolic link loop")) {
                problems.add(ConfigError.of(rel(f), why));
              }
              return FileVisitResult.CONTINUE;
            }
            if (!allowed(f)) {
              return FileVisitResult.CONTINUE;
            }
            stamps.put(f, stamp(f, attrs));
            if (policy && attrs.size() > MAX_FILE_BYTES) {
              problems.add(
                  ConfigError.of(
                      rel(f),
                      "is "
                          + attrs.size()
                          + " bytes; a policy file may have at most "
                          + MAX_FILE_BYTES
                          + " (16 MiB): split it"));
              return FileVisitResult.CONTINUE;
            }
            if (policy && (policyBytes[0] += attrs.size()) > MAX_POLICY_BYTES) {
              problems.add(
                  ConfigError.of(
                      rel(f),
                      "the policy files up to this one have more than "
                          + MAX_POLICY_BYTES
                          + " bytes (64 MiB) in all; the directory holds more than one policy"
                          + " should"));
              return FileVisitResult.TERMINATE;
            }
            if (engine != null) {
              engineFiles.computeIfAbsent(engine, k -> new ArrayList<>()).add(f);
            } else if (isYaml(n)) {
              yaml.add(f);
            } else {
              return FileVisitResult.CONTINUE;
            }
            sizes.put(f, attrs.size());
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) {
            if (e instanceof FileSystemLoopException) {
              stamps.put(f, "loop " + linkStamp(f));
              problems.add(
                  ConfigError.of(
                      rel(f),
                      "a symbolic link loop: this directory leads back to one that"
                          + " contains it; remove the link"));
            } else if (!(e instanceof NoSuchFileException)) {
              // A file deleted while the directory was listed is simply gone; anything else is not
              // readable.
              stamps.put(f, "unreadable");
            }
            return FileVisitResult.CONTINUE;
          }
        });
    yaml.sort(null);
    engineFiles.values().forEach(l -> l.sort(null));
    return new PolicyFiles(dir, yaml, engineFiles, engineOf, stamps, sizes, problems);
  }

  /** The same directory listed again, as it is now. */
  public PolicyFiles rescan() throws IOException {
    return scan(dir, engineOf);
  }

  private static boolean isYaml(String n) {
    return n.endsWith(".yaml") || n.endsWith(".yml");
  }

  /**
   * Checks {@code p}, a file a handler names (resolved against the policy directory), against the
   * boundary.
   *
   * @throws OutsideException if it resolves outside the directory
   */
  public static void inside(Path dir, Path p) {
    String shown =
        p.startsWith(dir) ? dir.relativize(p).toString().replace('\\', '/') : p.toString();
    String outside;
    try {
      outside = outside(dir.toRealPath(), p);
    } catch (IOException e) {
      outside = p.startsWith(dir) ? null : p.toString();
    }
    if (outside != null) {
      throw new OutsideException("file '" + shown + "' " + refusal(outside, dir));
    }
  }

  /**
   * Where {@code p} really is if that is outside {@code realDir}, else {@code null}. A path that
   * does not exist is judged by its name (it is judged again once it exists).
   */
  private static String outside(Path realDir, Path p) {
    Path target;
    try {
      target = p.toRealPath();
    } catch (IOException e) {
      Path abs = p.toAbsolutePath().normalize();
      Path parent = abs.getParent();
      try {
        target = parent == null ? abs : parent.toRealPath().resolve(abs.getFileName());
      } catch (IOException again) {
        return null; // nothing there to read; reading it will fail and say so
      }
    }
    return target.startsWith(realDir) ? null : target.toString();
  }

  private static String refusal(String target, Path dir) {
    return "leads outside the policy directory (to "
        + target
        + "); a policy reads only files inside "
        + dir
        + ", so it is refused";
  }

  private static String danglingReason(Path link) {
    try {
      link.toRealPath();
      return "a symbolic link that cannot be followed";
    } catch (java.nio.file.FileSystemException e) {
      String reason = e.getReason() == null ? "" : e.getReason();
      if (reason.toLowerCase(java.util.Locale.ROOT).contains("levels of symbolic links")) {
        return "a symbolic link loop: following it never reaches a file; remove the link";
      }
      return "a broken symbolic link (to " + target(link) + "): its target does not exist";
    } catch (IOException e) {
      return "a symbolic link that cannot be followed: " + e.getMessage();
    }
  }

  private static String target(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      return "?";
    }
  }

  /** The link itself: where it points and when it was made. */
  private static String linkStamp(Path p) {
    try {
      BasicFileAttributes a =
          Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return (a.isSymbolicLink() ? target(p) : "") + "|" + stampOf(a);
    } catch (IOException e) {
      return "missing";
    }
  }

  /** Where {@code f} leads, its file identity, size and modification time; or "missing". */
  public static String stamp(Path f) {
    try {
      return stamp(f, Files.readAttributes(f, BasicFileAttributes.class));
    } catch (IOException e) {
      return "missing";
    }
  }

  /**
   * The stamp of {@code f} with attributes {@code a} (of its target). The target's real path and
   * file key are part of it, so a link swapped to a file of equal size and time, or a file renamed
   * over another, is a change.
   */
  private static String stamp(Path f, BasicFileAttributes a) {
    String real;
    try {
      real = f.toRealPath().toString();
    } catch (IOException e) {
      return "missing";
    }
    return real + "|" + a.fileKey() + "|" + stampOf(a);
  }

  private static String stampOf(BasicFileAttributes a) {
    return a.size() + "@" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
  }

  /** {@code f} relative to the policy directory, with forward slashes. */
  public String relative(Path f) {
    return dir.relativize(f).toString().replace('\\', '/');
  }
}
