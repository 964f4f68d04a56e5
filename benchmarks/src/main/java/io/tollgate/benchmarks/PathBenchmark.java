package io.tollgate.benchmarks;

import io.tollgate.server.attributes.PathNormalizer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code PathBenchmark} measures {@code request.url_path}'s normalization ({@link PathNormalizer})
 * on its own, the cost every check with a path now pays once: an already normal path without and
 * with a query (the common cases, meant to allocate nothing but the substring before the query), a
 * long normal one, and paths that need work (dot segments, slashes, escapes). Run with {@code -prof
 * gc} for bytes per call; {@code raw} is the old derivation (cut at the query) for comparison.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PathBenchmark {
  @Param({
    "/productpage",
    "/api/v1/reviews/0123456789/ratings?stars=5&by=a%20b",
    "/static/assets/js/vendor/jquery-3.7.1/dist/jquery.min.js.map",
    "//admin/./x/../users",
    "/%61dmin%2Fusers;v=1/%7e"
  })
  public String path;

  @Benchmark
  public String normalize() {
    return PathNormalizer.normalize(path);
  }

  @Benchmark
  public String raw() {
    return PathNormalizer.raw(path);
  }
}
