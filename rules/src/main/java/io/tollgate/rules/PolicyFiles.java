package io.tollgate.rules;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code PolicyFiles} lists a policy directory: the policy files in the order rules evaluate (by
 * relative path), and a stamp of every file so that changes can be noticed without reading them.
 *
 * <p>Hidden files and directories, editor backups and the {@code tests/} directory (rule test
 * cases) are not policy.
 *
 * @param dir the directory
 * @param yaml YAML files, sorted by relative path
 * @param drl DRL files, sorted by relative path
 * @param rego Rego modules, sorted by relative path
 * @param data Rego data documents ({@code data.json}, {@code data.yaml}), sorted by relative path
 * @param stamps every file below the directory with its size and modification time
 */
record PolicyFiles(
    Path dir, List<Path> yaml, List<Path> drl, List<Path> rego, List<Path> data, Map<Path, String> stamps) {

  /** Names of Rego data documents, as in OPA bundles: merged at their directory's path. */
  static final java.util.Set<String> DATA_FILES = java.util.Set.of("data.json", "data.yaml", "data.yml");

  /** Whether there is anything to decide with. */
  boolean isEmpty() {
    return yaml.isEmpty() && drl.isEmpty() && rego.isEmpty();
  }

  static PolicyFiles scan(Path dir) throws IOException {
    List<Path> yaml = new ArrayList<>();
    List<Path> drl = new ArrayList<>();
    List<Path> rego = new ArrayList<>();
    List<Path> data = new ArrayList<>();
    Map<Path, String> stamps = new HashMap<>();
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            if (d.equals(dir)) {
              return FileVisitResult.CONTINUE;
            }
            String n = d.getFileName().toString();
            boolean testsDir = d.getParent().equals(dir) && n.equals("tests");
            return n.startsWith(".") || testsDir
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
            String n = f.getFileName().toString();
            if (n.startsWith(".") || n.endsWith("~") || n.startsWith("#")) {
              return FileVisitResult.CONTINUE;
            }
            stamps.put(f, stamp(attrs));
            if (DATA_FILES.contains(n)) {
              data.add(f);
            } else if (n.endsWith(".yaml") || n.endsWith(".yml")) {
              yaml.add(f);
            } else if (n.endsWith(".drl")) {
              drl.add(f);
            } else if (n.endsWith(".rego") && !n.endsWith("_test.rego")) {
              rego.add(f);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) {
            stamps.put(f, "unreadable");
            return FileVisitResult.CONTINUE;
          }
        });
    yaml.sort(null);
    drl.sort(null);
    rego.sort(null);
    data.sort(null);
    return new PolicyFiles(dir, yaml, drl, rego, data, stamps);
  }

  /** The size and modification time of {@code f}, or "missing". */
  static String stamp(Path f) {
    try {
      return stamp(Files.readAttributes(f, BasicFileAttributes.class));
    } catch (IOException e) {
      return "missing";
    }
  }

  private static String stamp(BasicFileAttributes a) {
    return a.size() + "@" + a.lastModifiedTime().toMillis();
  }

  /** {@code f} relative to the policy directory, with forward slashes. */
  String relative(Path f) {
    return dir.relativize(f).toString().replace('\\', '/');
  }
}
