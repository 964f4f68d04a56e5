package io.tollgate.benchmarks;

import io.tollgate.server.BundledPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code BenchmarkPolicies} writes the policies the benchmarks decide with into a directory, so
 * they load like any user's policy: {@code bookinfo} (the bundled example) and {@code fifty} (40
 * YAML/CEL rules and 10 DRL rules, from {@code policies/fifty/} on the class path).
 */
public final class BenchmarkPolicies {
  /** The policy names {@link #copyTo} knows. */
  public static final List<String> NAMES =
      List.of("bookinfo", "fifty", "shop-cel", "shop-rego", "shop-rego-cached");

  private static final String FIFTY = "policies/fifty";

  private BenchmarkPolicies() {}

  /** Writes policy {@code name} into a new temporary directory and returns it. */
  public static Path extract(String name) {
    try {
      Path dir = Files.createTempDirectory("tollgate-bench-" + name + "-");
      copyTo(name, dir);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("could not write policy " + name, e);
    }
  }

  /** Writes policy {@code name} into {@code dir}, which must exist. */
  public static void copyTo(String name, Path dir) throws IOException {
    switch (name) {
      case "bookinfo" -> BundledPolicy.copyTo(dir);
      case "fifty" -> copyResourceTree(FIFTY, dir);
      case "shop-cel", "shop-rego", "shop-rego-cached" -> copyResourceTree("policies/" + name, dir);
      default ->
          throw new IllegalArgumentException("unknown policy '" + name + "'; known: " + NAMES);
    }
  }

  /** Removes a directory {@link #extract} made. */
  public static void delete(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; the OS cleans up what is left
    }
  }

  /**
   * Copies a class-path directory, whether it sits in a jar (benchmarks.jar) or on disk (an IDE).
   */
  private static void copyResourceTree(String resource, Path dir) throws IOException {
    URL url = BenchmarkPolicies.class.getClassLoader().getResource(resource);
    if (url == null) {
      throw new IOException("policy " + resource + " is not on the class path");
    }
    URI uri;
    try {
      uri = url.toURI();
    } catch (URISyntaxException e) {
      throw new IOException("odd class-path URL " + url, e);
    }
    if ("jar".equals(uri.getScheme())) {
      FileSystem jar;
      try {
        jar = FileSystems.newFileSystem(uri, Map.of());
      } catch (FileSystemAlreadyExistsException e) {
        copyTree(FileSystems.getFileSystem(uri).getPath(resource), dir);
        return;
      }
      try (jar) {
        copyTree(jar.getPath(resource), dir);
      }
    } else {
      copyTree(Path.of(uri), dir);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
