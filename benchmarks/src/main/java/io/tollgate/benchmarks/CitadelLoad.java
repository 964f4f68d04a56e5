package io.tollgate.benchmarks;

import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.citadel.Citadel;
import io.tollgate.citadel.KeyType;
import io.tollgate.citadel.SpiffeId;
import io.tollgate.citadel.agent.CertificateFiles;
import io.tollgate.citadel.agent.WorkloadAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * {@code CitadelLoad}: the time to rotate N workloads through the CA's API. A CA and N agents in
 * one JVM on loopback; every agent first gets its certificate with a bootstrap token, then each
 * round renews all N with their current certificates (new key, new CSR, a new mutual-TLS
 * connection, signing, files swapped) on {@code --concurrency} threads. The baseline, measured in
 * the same rounds, is what the transport alone costs: N new mutual-TLS connections to the same
 * server with the same certificates, each making one gRPC health call. Prints one line of {@code
 * key=value} per measurement; medians over the rounds.
 *
 * <pre>
 * java -cp benchmarks.jar io.tollgate.benchmarks.CitadelLoad --workloads 1000 --concurrency 8 --rounds 3
 * </pre>
 */
public final class CitadelLoad {
  public static void main(String[] args) throws Exception {
    int workloads = intArg(args, "--workloads", 1000);
    int concurrency = intArg(args, "--concurrency", 8);
    int rounds = intArg(args, "--rounds", 3);
    Path dir = Files.createTempDirectory("tollgate-citadel-load-");
    try (Citadel ca =
        Citadel.start(
            new Citadel.Settings(
                dir.resolve("ca"),
                null,
                "cluster.local",
                Duration.ofHours(24),
                Duration.ofHours(24),
                "127.0.0.1",
                0,
                List.of("127.0.0.1")),
            new PrometheusRegistry(),
            Clock.systemUTC())) {
      String target = "127.0.0.1:" + ca.port();
      List<WorkloadAgent> agents = new ArrayList<>();
      for (int i = 0; i < workloads; i++) {
        String token =
            ca.tokens().issue(new SpiffeId("cluster.local", "load", "w" + i), Duration.ofHours(1));
        agents.add(
            new WorkloadAgent(
                new WorkloadAgent.Settings(
                    target,
                    ca.rootCertFile(),
                    token,
                    null,
                    dir.resolve("w" + i),
                    KeyType.EC_P256,
                    Duration.ofHours(1),
                    0.5,
                    Duration.ofSeconds(1)),
                Clock.systemUTC()));
      }
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      double bootstrap = run(pool, agents.size(), i -> agents.get(i).fetch(), null);
      System.out.printf(
          "bootstrap_seconds=%.2f workloads=%d concurrency=%d%n",
          bootstrap, workloads, concurrency);
      double[] rotation = new double[rounds];
      double[] baseline = new double[rounds];
      double[] p50 = new double[rounds];
      double[] p99 = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        baseline[r] =
            run(
                pool,
                agents.size(),
                i -> healthOverMtls(target, ca.rootCertFile(), agents.get(i).files()),
                null);
        long[] nanos = new long[agents.size()];
        rotation[r] = run(pool, agents.size(), i -> agents.get(i).fetch(), nanos);
        Arrays.sort(nanos);
        p50[r] = nanos[nanos.length / 2] / 1e6;
        p99[r] = nanos[(int) Math.min(nanos.length - 1, Math.ceil(nanos.length * 0.99) - 1)] / 1e6;
        System.out.printf(
            "round=%d rotation_seconds=%.2f baseline_seconds=%.2f rotation_p50_ms=%.1f rotation_p99_ms=%.1f%n",
            r + 1, rotation[r], baseline[r], p50[r], p99[r]);
      }
      long k0 = System.nanoTime();
      for (int i = 0; i < workloads; i++) {
        KeyType.EC_P256.generate();
      }
      double keygen = (System.nanoTime() - k0) / 1e9;
      System.out.printf(
          "median rotation_seconds=%.2f baseline_seconds=%.2f ratio=%.2f rotation_p50_ms=%.1f rotation_p99_ms=%.1f"
              + " rotations_per_second=%.0f keygen_seconds_one_thread=%.2f%n",
          median(rotation),
          median(baseline),
          median(rotation) / median(baseline),
          median(p50),
          median(p99),
          workloads / median(rotation),
          keygen);
      pool.shutdown();
      agents.forEach(WorkloadAgent::close);
    }
  }

  interface Task {
    Object run(int i) throws Exception;
  }

  /**
   * Runs {@code task} for 0..n-1 on {@code pool}; the wall time in seconds; per-task times into
   * {@code nanos}.
   */
  static double run(ExecutorService pool, int n, Task task, long[] nanos) throws Exception {
    long t0 = System.nanoTime();
    List<Future<?>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int k = i;
      fs.add(
          pool.submit(
              () -> {
                long s = System.nanoTime();
                task.run(k);
                if (nanos != null) {
                  nanos[k] = System.nanoTime() - s;
                }
                return null;
              }));
    }
    for (Future<?> f : fs) {
      f.get(10, TimeUnit.MINUTES);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  static Object healthOverMtls(String target, Path root, CertificateFiles files) throws Exception {
    CertificateFiles.Bundle b = files.read().orElseThrow();
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    keys.updateIdentityCredentials(b.chain().toArray(X509Certificate[]::new), b.key());
    ManagedChannel ch =
        NettyChannelBuilder.forTarget(
                target,
                TlsChannelCredentials.newBuilder()
                    .trustManager(root.toFile())
                    .keyManager(keys)
                    .build())
            .build();
    try {
      return HealthGrpc.newBlockingStub(ch)
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
    } finally {
      ch.shutdownNow();
    }
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  static int intArg(String[] args, String name, int dflt) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return dflt;
  }
}
