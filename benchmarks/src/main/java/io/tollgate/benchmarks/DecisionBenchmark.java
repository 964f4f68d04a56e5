package io.tollgate.benchmarks;

import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.rules.PolicyLoadException;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.RuntimeOptions;
import io.tollgate.server.envoy.AttributeMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code DecisionBenchmark} measures what one ext_authz check costs inside the server, without the
 * network: mapping Envoy's {@code CheckRequest} to attributes and deciding it with the policy
 * runtime, round-robin over a fixed {@link RequestMix} of allowed and denied requests. Sample-time
 * mode gives the distribution (p50, p99) per check; run with {@code -prof gc} for bytes allocated
 * per check.
 *
 * <p>The setup checks every answer after well past every lazy compilation threshold, so a policy
 * that decides wrongly once warm stops the benchmark.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class DecisionBenchmark {
  /** Passes over the mix before the answers are checked: past every lazy compilation threshold. */
  private static final int SETTLE_PASSES = 100;

  @Param({"bookinfo", "fifty"})
  public String policy;

  private Path dir;
  private PolicyRuntime runtime;
  private CheckRequest[] requests;

  /** Where each benchmark thread is in the mix. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Setup(Level.Trial)
  public void start() throws PolicyLoadException {
    dir = BenchmarkPolicies.extract(policy);
    runtime = PolicyRuntime.start(new RuntimeOptions(dir, null, Duration.ofMillis(100)));
    List<RequestMix.Sample> mix = RequestMix.forPolicy(policy);
    requests = mix.stream().map(RequestMix.Sample::request).toArray(CheckRequest[]::new);
    for (int i = 0; i < SETTLE_PASSES; i++) {
      for (CheckRequest r : requests) {
        runtime.check(AttributeMapper.map(r));
      }
    }
    List<String> wrong = new ArrayList<>();
    for (RequestMix.Sample s : mix) {
      PolicyDecision d = runtime.check(AttributeMapper.map(s.request()));
      int status = d.allowed() ? RequestMix.ALLOW : d.httpStatus();
      if (status != s.expectedStatus()) {
        wrong.add(
            s.name()
                + ": expected "
                + s.expectedStatus()
                + ", got "
                + status
                + " "
                + d.rule()
                + " "
                + d.message());
      }
    }
    if (!wrong.isEmpty()) {
      throw new IllegalStateException(
          "policy "
              + policy
              + " answers the request mix wrongly:\n  "
              + String.join("\n  ", wrong));
    }
  }

  @TearDown(Level.Trial)
  public void stop() {
    if (runtime != null) {
      runtime.close();
    }
    BenchmarkPolicies.delete(dir);
  }

  @Benchmark
  public PolicyDecision check(Cursor cursor) {
    CheckRequest r = requests[cursor.next];
    cursor.next = cursor.next + 1 == requests.length ? 0 : cursor.next + 1;
    return runtime.check(AttributeMapper.map(r));
  }
}
