package io.tollgate.benchmarks;

import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.server.envoy.AttributeMapper;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@code MappingBenchmark} measures the mapping alone: Envoy's {@code CheckRequest} to attributes,
 * round-robin over the bookinfo {@link RequestMix}, with no policy. {@code map} builds the
 * attributes; {@code mapAndRead} also reads what a typical rule set reads (method, path, host,
 * principal, one header), and {@code mapAndReadAll} reads every attribute of the vocabulary, so a
 * mapping that defers work is charged for it. Run with {@code -prof gc} for bytes per mapping.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class MappingBenchmark {
  private static final String[] NAMES = Vocabulary.types().keySet().toArray(String[]::new);

  private CheckRequest[] requests;

  /** Where each benchmark thread is in the mix. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;

    CheckRequest next(CheckRequest[] requests) {
      CheckRequest r = requests[next];
      next = next + 1 == requests.length ? 0 : next + 1;
      return r;
    }
  }

  @Setup(Level.Trial)
  public void start() {
    requests =
        RequestMix.forPolicy("bookinfo").stream()
            .map(RequestMix.Sample::request)
            .toArray(CheckRequest[]::new);
  }

  @Benchmark
  public Attributes map(Cursor cursor) {
    return AttributeMapper.map(cursor.next(requests));
  }

  @Benchmark
  public void mapAndRead(Cursor cursor, Blackhole bh) {
    Attributes a = AttributeMapper.map(cursor.next(requests));
    bh.consume(a.get(Vocabulary.REQUEST_METHOD));
    bh.consume(a.get(Vocabulary.REQUEST_URL_PATH));
    bh.consume(a.get(Vocabulary.DESTINATION_SERVICE_HOST));
    bh.consume(a.get(Vocabulary.SOURCE_PRINCIPAL));
    bh.consume(a.header("x-user"));
  }

  @Benchmark
  public void mapAndReadAll(Cursor cursor, Blackhole bh) {
    Attributes a = AttributeMapper.map(cursor.next(requests));
    for (String n : NAMES) {
      bh.consume(a.get(n));
    }
  }
}
