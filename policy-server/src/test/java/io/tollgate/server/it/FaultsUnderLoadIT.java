package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tollgate.server.BundledPolicy;
import io.tollgate.testing.Closeables;
import io.tollgate.testing.EchoUpstream;
import io.tollgate.testing.EnvoyLauncher;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.Opa;
import io.tollgate.testing.ProxyClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults under steady load through real Envoy, each repaired (or repairing itself) without manual
 * action: the policy server SIGKILLed and started again on its port, one of three quota nodes
 * SIGKILLed, the OPA that Tollgate supervises SIGKILLed, pilot-lite SIGKILLed and started again.
 * For each: the requests clients sent, those that did not get a 200 (and their statuses), and the
 * time to recovery, written to {@code -Dtollgate.faults.report=FILE} when given ({@code
 * benchmarks/run-faults.sh} puts them in RESULTS.md).
 *
 * <p>Bounds are generous and not about speed: the machine is shared. What is asserted is the
 * behaviour: Envoy's failure mode holds while the server is down (403, never a 200), every case
 * recovers within {@link #RECOVERY}, and where nothing should fail (a quota node or pilot-lite
 * gone), clients see no error.
 */
class FaultsUnderLoadIT {
  static final Duration RECOVERY = Duration.ofSeconds(90);
  static final double RATE = 100;
  static final Duration DOWN = Duration.ofSeconds(3);
  static final List<String> JVM = List.of("-Xms256m", "-Xmx256m", "-XX:+UseG1GC");

  @TempDir Path dir;

  /** What one fault cost the clients. */
  record Fault(
      String name,
      PacedLoad.Window run,
      PacedLoad.Window afterFault,
      double recoverySeconds,
      String note) {
    String row() {
      return String.format(
          "| %s | %d | %d | %s | %s | %s |",
          name,
          run.requests(),
          afterFault.errors(),
          afterFault.errorStatuses().isEmpty() ? "—" : afterFault.errorStatuses().toString(),
          Double.isNaN(recoverySeconds) ? "—" : String.format("%.1f s", recoverySeconds),
          note);
    }
  }

  static void report(Fault f) throws IOException {
    System.out.println("faults: " + f.row());
    String file = System.getProperty("tollgate.faults.report", "");
    if (!file.isEmpty()) {
      Files.writeString(
          Path.of(file), f.row() + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  static String[] serveArgs(Path policy, int grpcPort, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--policy",
                policy.toString(),
                "--grpc-port",
                Integer.toString(grpcPort),
                "--http-port",
                "-1",
                "--admin-port",
                "0",
                "--decision-log",
                "off",
                "--reload-interval",
                "0s",
                "--warm-up-time",
                "2s",
                "--warm-up-rounds",
                "500"));
    args.addAll(List.of(more));
    if (!args.contains("--quota-cluster-name")) {
      // Apart from any other test's quota members on this machine.
      args.addAll(
          List.of(
              "--quota-cluster-name", "faults-" + ProcessHandle.current().pid() + "-" + grpcPort));
    }
    return args.toArray(String[]::new);
  }

  static ServerProcess serve(Path policy, int grpcPort, String... more) throws Exception {
    ServerProcess s = ServerProcess.exec(JVM, "serve", serveArgs(policy, grpcPort, more));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> SoakIT.get(s.adminPort, "/readyz").statusCode() == 200);
    return s;
  }

  /** Waits until the load has run {@code window} without an error, and returns then. */
  static long awaitSteady(PacedLoad load, Duration window) {
    long w = window.toNanos();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              long now = load.now();
              PacedLoad.Window last = load.window(now - w, now);
              return now > w && last.requests() > 0 && last.errors() == 0;
            });
    return load.now();
  }

  /**
   * Waits until clients have seen only 200s for {@code quiet} after {@code fromNanos} (at most
   * {@link #RECOVERY}), and returns when the last request that failed was sent (or {@code
   * fromNanos} if none did).
   */
  static long awaitRecovered(PacedLoad load, long fromNanos, Duration quiet) {
    long q = quiet.toNanos();
    await()
        .atMost(RECOVERY)
        .until(
            () -> {
              long now = load.now();
              PacedLoad.Window last = load.window(now - q, now);
              return now - fromNanos > q && last.requests() > 0 && last.errors() == 0;
            });
    return lastError(load, fromNanos);
  }

  static long lastError(PacedLoad load, long fromNanos) {
    long last = fromNanos;
    for (PacedLoad.Outcome o : load.between(fromNanos, Long.MAX_VALUE)) {
      if (o.status() != 200) {
        last = o.sentNanos() + o.latencyNanos();
      }
    }
    return last;
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }

  @Test
  void policyServerKilledThenRestartedEnvoyFailsClosedAndRecovers() throws Exception {
    Path policy = Files.createDirectories(dir.resolve("policy"));
    BundledPolicy.copyTo(policy);
    int grpc = FreePorts.next();
    int front = FreePorts.next();
    ServerProcess server = serve(policy, grpc);
    try (EnvoyLauncher envoy =
            EnvoyLauncher.start(
                EnvoyFront.bootstrap(front, grpc, "0.5s", EnvoyFront.Parts.AUTHZ_ONLY));
        PacedLoad load =
            PacedLoad.start(
                front, "productpage", "/productpage", RATE, 8, 100_000, Duration.ofMinutes(5))) {
      awaitSteady(load, Duration.ofSeconds(2));
      long kill = load.now();
      server.kill();
      // Down for a few seconds: Envoy answers by its failure mode (failure_mode_allow: false ->
      // 403).
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  load.now() - kill > DOWN.toNanos()
                      && load.window(kill, Long.MAX_VALUE).errors() >= 50);
      long restart = load.now();
      server = serve(policy, grpc);
      long ready = load.now();
      long lastError = awaitRecovered(load, restart, Duration.ofSeconds(3));
      long end = load.now();
      load.stop();

      List<PacedLoad.Outcome> down = load.between(kill, restart);
      long firstError =
          down.stream().filter(o -> o.status() != 200).findFirst().orElseThrow().sentNanos();
      assertThat(down.stream().filter(o -> o.sentNanos() > firstError && o.status() == 200))
          .as("no request passes once the server is known down (failure_mode_allow: false)")
          .isEmpty();
      PacedLoad.Window after = load.window(kill, end);
      assertThat(load.window(kill, restart).errorStatuses().keySet())
          .as("Envoy's answer while the server is down")
          .containsOnly(403);
      // Once started again, the server answers on its port while it warms up (Envoy does not
      // wait for readiness); a handler that fails or misses its deadline in a cold JVM gets its
      // failure policy, which answers 500.
      List<PacedLoad.Outcome> cold =
          load.between(restart, end).stream().filter(o -> o.status() == 500).toList();
      assertThat(after.errorStatuses().keySet()).isSubsetOf(403, 500);
      assertThat(envoy.stat("http.front.ext_authz.failure_mode_allowed")).isZero();
      String coldNote =
          cold.isEmpty()
              ? ""
              : String.format(
                  "; %d of the errors are 500s the new JVM gave %.1f-%.1f s after its start"
                      + " (ready at %.1f s; it counted %.0f handler failures)",
                  cold.size(),
                  seconds(cold.get(0).sentNanos() - restart),
                  seconds(cold.get(cold.size() - 1).sentNanos() - restart),
                  seconds(ready - restart),
                  handlerFailures(server));
      report(
          new Fault(
              "policy server SIGKILLed, restarted on its port",
              load.window(0, end),
              after,
              seconds(lastError - restart),
              String.format(
                      "down %.1f s (kill to restart), every answer 403 then; Envoy reconnected by"
                          + " itself",
                      seconds(restart - kill))
                  + coldNote));
    } finally {
      server.close();
    }
  }

  @Test
  void quotaNodeKilledInAThreeNodeClusterRateLimitCallsGoOn() throws Exception {
    Path policy = Files.createDirectories(dir.resolve("policy"));
    BundledPolicy.copyTo(policy);
    Files.writeString(policy.resolve("limits.yaml"), EnvoyFront.LIMITS);
    String cluster = "faults-quota-" + ProcessHandle.current().pid();
    int[] ports = {FreePorts.next(), FreePorts.next(), FreePorts.next()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    List<ServerProcess> nodes = new ArrayList<>();
    ServerProcess server = null;
    try {
      for (int p : ports) {
        nodes.add(
            ServerProcess.exec(
                JVM,
                "quota-node",
                "--admin-port",
                "0",
                "--quota-cluster-name",
                cluster,
                "--quota-port",
                Integer.toString(p),
                "--quota-members",
                members));
      }
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () ->
                  SoakIT.sum(
                          SoakIT.get(nodes.get(0).adminPort, "/metrics").body(),
                          "tollgate_quota_cluster_members")
                      == 3);
      int grpc = FreePorts.next();
      int front = FreePorts.next();
      server =
          serve(
              policy,
              grpc,
              "--quota-client",
              "true",
              "--quota-members",
              members,
              "--quota-cluster-name",
              cluster);
      ServerProcess s = server;
      try (EnvoyLauncher envoy =
              EnvoyLauncher.start(
                  EnvoyFront.bootstrap(front, grpc, "1s", new EnvoyFront.Parts(true, false)));
          PacedLoad load =
              PacedLoad.startWithHeader(
                  front,
                  "productpage",
                  "/productpage",
                  "x-tenant",
                  32,
                  RATE,
                  8,
                  100_000,
                  Duration.ofMinutes(5))) {
        awaitSteady(load, Duration.ofSeconds(2));
        double failuresBefore = failures(s);
        long kill = load.now();
        nodes.get(1).kill();
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () ->
                    SoakIT.sum(
                            SoakIT.get(nodes.get(0).adminPort, "/metrics").body(),
                            "tollgate_quota_cluster_members")
                        == 2);
        long seen = load.now();
        long lastError = awaitRecovered(load, kill, Duration.ofSeconds(5));
        long end = load.now();
        load.stop();
        PacedLoad.Window after = load.window(kill, end);
        double failed = failures(s) - failuresBefore;
        assertThat(after.errorStatuses().keySet())
            .as("rate-limit calls are answered (no transport failures)")
            .doesNotContain(-1);
        assertThat(envoy.stat("cluster.upstream.ratelimit.ok")).isPositive();
        report(
            new Fault(
                "one of three quota nodes SIGKILLed",
                load.window(0, end),
                after,
                lastError == kill ? 0 : seconds(lastError - kill),
                String.format(
                    "%.0f rate-limit calls answered by the domain's failure mode (allow);"
                        + " Envoy ratelimit.error %d; the cluster saw 2 members %.1f s after the kill",
                    failed, envoy.stat("cluster.upstream.ratelimit.error"), seconds(seen - kill))));
      }
    } finally {
      Closeables.closeAll(server);
      for (ServerProcess n : nodes) {
        n.close();
      }
    }
  }

  static double handlerFailures(ServerProcess s) throws Exception {
    return SoakIT.sum(
        SoakIT.get(s.adminPort, "/metrics").body(), "tollgate_handler_failures_total");
  }

  static double failures(ServerProcess s) throws Exception {
    return SoakIT.sum(
        SoakIT.get(s.adminPort, "/metrics").body(), "tollgate_ratelimit_failures_total");
  }

  static final String REGO =
      """
      package shop

      import rego.v1

      default allow := false
      allow if input.attributes.request.http.method == "GET"
      """;

  static final String REGO_RULES =
      """
      kind: Handler
      name: shop
      adapter: rego
      params: {query: shop.allow}
      timeout: 1s
      failurePolicy: closed
      ---
      kind: Rule
      name: shop
      actions:
      - handler: shop
      """;

  @Test
  void supervisedOpaKilledIsRestartedAndRegoChecksRecover() throws Exception {
    Path policy = Files.createDirectories(dir.resolve("policy"));
    Files.writeString(policy.resolve("shop.rego"), REGO);
    Files.writeString(policy.resolve("rules.yaml"), REGO_RULES);
    int grpc = FreePorts.next();
    int front = FreePorts.next();
    ServerProcess server = serve(policy, grpc, "--opa-binary", Opa.binary().toString());
    try (EnvoyLauncher envoy =
            EnvoyLauncher.start(
                EnvoyFront.bootstrap(front, grpc, "2s", EnvoyFront.Parts.AUTHZ_ONLY));
        PacedLoad load =
            PacedLoad.start(front, "shop", "/items", RATE, 8, 100_000, Duration.ofMinutes(5))) {
      awaitSteady(load, Duration.ofSeconds(2));
      ProcessHandle opa = opaOf(server);
      long kill = load.now();
      opa.destroyForcibly();
      await().atMost(RECOVERY).until(() -> !opa.isAlive() && opaOrNull(server) != null);
      long restarted = load.now();
      long lastError = awaitRecovered(load, kill, Duration.ofSeconds(3));
      long end = load.now();
      load.stop();
      PacedLoad.Window after = load.window(kill, end);
      assertThat(after.errorStatuses().keySet())
          .as("fail closed while OPA is gone: Tollgate's 500 (or 403), never a transport failure")
          .isSubsetOf(403, 500);
      assertThat(ProxyClient.send(front, "POST", "shop", "/items", "x").statusCode())
          .as("the Rego policy decides again")
          .isEqualTo(403);
      assertThat(envoy.stat("http.front.ext_authz.failure_mode_allowed"))
          .as("Envoy let nothing through unchecked")
          .isZero();
      report(
          new Fault(
              "the supervised OPA SIGKILLed",
              load.window(0, end),
              after,
              lastError == kill ? 0 : seconds(lastError - kill),
              String.format(
                  "a new OPA running %.1f s after the kill (restarted by the supervisor, policy"
                      + " uploaded again); Rego handler failurePolicy closed, timeout 1 s",
                  seconds(restarted - kill))));
    } finally {
      server.close();
    }
  }

  static ProcessHandle opaOf(ServerProcess s) {
    await().atMost(Duration.ofSeconds(30)).until(() -> opaOrNull(s) != null);
    return opaOrNull(s);
  }

  static ProcessHandle opaOrNull(ServerProcess s) {
    return s.process
        .toHandle()
        .children()
        .filter(ProcessHandle::isAlive)
        .filter(c -> c.info().command().map(cmd -> cmd.endsWith("opa")).orElse(false))
        .findFirst()
        .orElse(null);
  }

  static final String RATINGS =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: ratings, namespace: shop}
      spec:
        hosts: [ratings.shop]
        ports: [{number: 9080, name: http}]
        endpoints: [{address: 127.0.0.1}]
      """;

  @Test
  void pilotRestartedSidecarsKeepTheirConfigAndReconnect() throws Exception {
    try (EchoUpstream reviews = new EchoUpstream()) {
      Path mesh = Files.createDirectories(dir.resolve("mesh"));
      Files.writeString(
          mesh.resolve("services.yaml"),
          """
          apiVersion: networking.istio.io/v1
          kind: ServiceEntry
          metadata: {name: reviews, namespace: shop}
          spec:
            hosts: [reviews.shop]
            ports: [{number: 9080, name: http}]
            endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
          ---
          apiVersion: networking.istio.io/v1
          kind: ServiceEntry
          metadata: {name: productpage, namespace: shop}
          spec:
            hosts: [productpage.shop]
            ports: [{number: 9080, name: http}]
            endpoints: [{address: 127.0.0.1}]
          """
              .formatted(reviews.port()));
      int xds = FreePorts.next();
      int out = FreePorts.next();
      String[] pilotArgs = {
        "--mesh",
        mesh.toString(),
        "--port",
        Integer.toString(xds),
        "--admin-port",
        "0",
        "--reload-interval",
        "1s",
        "--policy-address",
        "127.0.0.1:" + FreePorts.next()
      };
      ServerProcess pilot = ServerProcess.exec(JVM, "pilot", pilotArgs);
      try (EnvoyLauncher sidecar =
              EnvoyLauncher.start(
                  SidecarBootstrap.of(
                      "sidecar~127.0.0.1~productpage-1.shop~shop.svc.cluster.local",
                      "productpage.shop",
                      FreePorts.next(),
                      out,
                      xds,
                      null));
          PacedLoad load =
              PacedLoad.start(
                  out,
                  "reviews.shop:9080",
                  "/reviews/1",
                  RATE,
                  8,
                  100_000,
                  Duration.ofMinutes(5))) {
        awaitSteady(load, Duration.ofSeconds(2));
        long kill = load.now();
        pilot.kill();
        sidecar.awaitStat("control_plane.connected_state", v -> v == 0, Duration.ofSeconds(30));
        // A while without the control plane, under load.
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> load.now() - kill > TimeUnit.SECONDS.toNanos(3));
        long restart = load.now();
        pilot = ServerProcess.exec(JVM, "pilot", pilotArgs);
        sidecar.awaitStat("control_plane.connected_state", v -> v == 1, RECOVERY);
        long connected = load.now();
        // The new pilot-lite's stream works: a mesh change reaches the sidecar.
        long cdsBefore = sidecar.stat("cluster_manager.cds.update_success");
        Files.writeString(mesh.resolve("ratings.yaml"), RATINGS);
        sidecar.awaitStat(
            "cluster_manager.cds.update_success", v -> v > cdsBefore, Duration.ofSeconds(60));
        assertThat(sidecar.configDump()).contains("ratings.shop");
        long end = load.now();
        load.stop();
        PacedLoad.Window after = load.window(kill, end);
        assertThat(after.errors())
            .as(
                "sidecars keep serving their config without the control plane: %s",
                after.errorStatuses())
            .isZero();
        sidecar
            .stats()
            .forEach(
                (name, value) -> {
                  if (name.endsWith(".update_rejected")) {
                    assertThat(value).as(name).isZero();
                  }
                });
        report(
            new Fault(
                "pilot-lite SIGKILLed, restarted on its port",
                load.window(0, end),
                after,
                seconds(connected - restart),
                String.format(
                    "without a control plane %.1f s; recovery = restart to the sidecar connected"
                        + " again (xDS); a mesh change made then reached it",
                    seconds(restart - kill))));
      } finally {
        pilot.close();
      }
    }
  }
}
