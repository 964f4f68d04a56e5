package io.tollgate.pilot.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The mesh files of a directory: every {@code *.yaml} / {@code *.yml} entry, symbolic links
 * followed, in name order. Entries whose names start with {@code ..} are skipped: Kubernetes mounts
 * a ConfigMap as {@code name -> ..data/name} with {@code ..data} a link to a timestamped {@code
 * ..<time>} directory that it swaps in one rename, so the files are the links and those entries are
 * the machinery behind them.
 */
public final class MeshFiles {
  private MeshFiles() {}

  /**
   * What changes when a file does, cheap to read: of the file a link points to, its size,
   * modification time and identity (device and inode), so pointing a link at another file is a
   * change even when size and time are the same.
   */
  public record Stamp(String name, long size, long modifiedNanos, String identity) {}

  /**
   * One file as read: its stamp (taken before the read) and its text, or why it could not be read.
   */
  public record File(Stamp stamp, String content, String error) {
    public String name() {
      return stamp.name();
    }
  }

  /** The stamps of the directory's mesh files; throws only when the directory cannot be listed. */
  public static List<Stamp> stamps(Path dir) throws IOException {
    List<Stamp> out = new ArrayList<>();
    for (Path p : entries(dir)) {
      out.add(stamp(p));
    }
    return out;
  }

  /**
   * The directory's mesh files, read; a file that cannot be read is one with an error, not an
   * exception.
   */
  public static List<File> read(Path dir) throws IOException {
    List<File> out = new ArrayList<>();
    for (Path p : entries(dir)) {
      Stamp stamp = stamp(p);
      if (stamp.size() < 0) {
        out.add(new File(stamp, null, stamp.identity()));
        continue;
      }
      try {
        out.add(new File(stamp, new String(Files.readAllBytes(p), StandardCharsets.UTF_8), null));
      } catch (IOException e) {
        out.add(new File(stamp, null, e.getClass().getSimpleName() + ": " + e.getMessage()));
      }
    }
    return out;
  }

  private static List<Path> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(
              p -> {
                String name = p.getFileName().toString();
                return !name.startsWith("..") && (name.endsWith(".yaml") || name.endsWith(".yml"));
              })
          .sorted()
          .toList();
    }
  }

  /**
   * A file that is not there (a dangling link, or removed since the listing) or not a file has size
   * -1 and says why.
   */
  private static Stamp stamp(Path p) {
    String name = p.getFileName().toString();
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class); // follows links
      if (!a.isRegularFile()) {
        return new Stamp(name, -1, 0, "not a regular file");
      }
      Object key = a.fileKey() != null ? a.fileKey() : p.toRealPath();
      return new Stamp(
          name,
          a.size(),
          a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
          key.toString());
    } catch (IOException e) {
      return new Stamp(name, -1, 0, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
