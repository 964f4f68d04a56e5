package io.tollgate.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * {@code BundledPolicy} is the example policy inside the jar (bookinfo: productpage, reviews,
 * ratings, details), copied to a temporary directory so it loads like any other. Its files are
 * listed in {@code examples/bookinfo/INDEX}.
 */
public final class BundledPolicy {
  private static final String ROOT = "/examples/bookinfo/";

  private BundledPolicy() {}

  /** Copies the example into a new temporary directory, removed when the JVM exits. */
  public static Path extract() {
    try {
      Path dir = Files.createTempDirectory("tollgate-bookinfo-");
      copyTo(dir);
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> deleteQuietly(dir), "tollgate-bundled-cleanup"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("could not extract the bundled example policy", e);
    }
  }

  /** Copies the example into {@code dir}, which must exist. */
  public static void copyTo(Path dir) throws IOException {
    for (String name : index()) {
      Path target = dir.resolve(name).normalize();
      if (!target.startsWith(dir)) {
        throw new IOException("bundled policy INDEX names a file outside the policy: " + name);
      }
      Files.createDirectories(target.getParent());
      try (InputStream in = open(name)) {
        Files.copy(in, target);
      }
    }
  }

  private static String[] index() throws IOException {
    try (InputStream in = open("INDEX")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .toArray(String[]::new);
    }
  }

  private static InputStream open(String name) throws IOException {
    InputStream in = BundledPolicy.class.getResourceAsStream(ROOT + name);
    if (in == null) {
      throw new IOException("bundled policy file missing from the jar: " + ROOT + name);
    }
    return in;
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
