package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.tollgate.server.DecisionLog;
import io.tollgate.server.PolicyServer;
import io.tollgate.server.ServerConfig;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.Opa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OPA dies or is not there yet: decisions follow the failure policy, nothing hangs, and it
 * recovers.
 */
class OpaFailureIT {
  static final String REGO =
      """
      package shop

      import rego.v1

      default allow := false
      allow if input.attributes.request.http.method == "GET"
      """;

  static String rules(String failurePolicy) {
    return """
        kind: Handler
        name: shop
        adapter: rego
        params: {query: shop.allow}
        timeout: 200ms
        failurePolicy: %s
        ---
        kind: Rule
        name: shop
        actions:
        - handler: shop
        """
        .formatted(failurePolicy);
  }

  @TempDir Path dir;

  record Seen(String method, int code, int status, long millis) {}

  @Test
  void opaKilledMidLoadFailsClosedWithinTheDeadlineAndRecovers() throws Exception {
    Files.writeString(dir.resolve("shop.rego"), REGO);
    Files.writeString(dir.resolve("rules.yaml"), rules("closed"));
    try (TestServer ts =
        new TestServer(
            PolicyServer.start(
                ServerConfig.ephemeral()
                    .withPolicy(dir, null)
                    .withReloadInterval(Duration.ZERO)
                    .withDecisionLog(DecisionLog.Mode.OFF, 1)
                    .withOpa(null, Opa.binary(), Duration.ofMillis(200))))) {
      await().atMost(Duration.ofSeconds(15)).until(() -> ts.admin("/readyz").statusCode() == 200);
      ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService clients = Executors.newFixedThreadPool(3);
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < 3; c++) {
        int client = c;
        done.add(
            clients.submit(
                () -> {
                  int i = client;
                  while (running.get()) {
                    String method = i++ % 2 == 0 ? "GET" : "POST";
                    long t0 = System.nanoTime();
                    try {
                      CheckResponse r =
                          ts.authz
                              .withDeadlineAfter(5, TimeUnit.SECONDS)
                              .check(EnvoyCheckRequest.http(method, "shop", "/items").build());
                      seen.add(
                          new Seen(
                              method,
                              r.getStatus().getCode(),
                              r.getDeniedResponse().getStatus().getCodeValue(),
                              (System.nanoTime() - t0) / 1_000_000));
                    } catch (RuntimeException e) {
                      errors.add(e);
                    }
                  }
                }));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() > 300);
      long pid = ts.server.runtime().regoEngineIfStarted().opaPid();
      assertThat(pid).isPositive();
      ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL
      int atKill = seen.size();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> seen.stream().skip(atKill).anyMatch(s -> s.status() == 500));
      assertThat(ts.admin("/readyz").statusCode()).isIn(200, 503);
      // The supervisor restarts OPA and the engine uploads the policy again, by themselves.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  ts.server.runtime().regoEngineIfStarted().opaPid() != pid
                      && ts.admin("/readyz").statusCode() == 200);
      int recovered = seen.size();
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() > recovered + 200);
      running.set(false);
      for (Future<?> f : done) {
        f.get(20, TimeUnit.SECONDS);
      }
      clients.shutdown();

      assertThat(errors).as("checks that failed or hung").isEmpty();
      for (Seen s : seen) {
        if (s.code() == Code.OK_VALUE) {
          assertThat(s.method()).as("fail-closed never lets a POST through").isEqualTo("GET");
        } else {
          assertThat(s.status()).as("%s", s).isIn(403, 500);
        }
        assertThat(s.millis())
            .as("decided within the deadline (and some scheduling slack)")
            .isLessThan(2000);
      }
      List<Seen> after = new ArrayList<>(seen).subList(recovered, seen.size());
      assertThat(after)
          .allSatisfy(
              s -> assertThat(s.code() == Code.OK_VALUE).isEqualTo(s.method().equals("GET")));
      String metrics = ts.admin("/metrics").body();
      assertThat(metrics)
          .containsPattern(
              "tollgate_opa_query_failures_total\\{reason=\"(error|rejected)\"} [1-9]");
      assertThat(metrics)
          .containsPattern("tollgate_handler_failures_total\\{handler=\"shop\"} [1-9]");
    }
  }

  @Test
  void failOpenLetsRequestsThroughWhileOpaIsDown() throws Exception {
    Files.writeString(dir.resolve("shop.rego"), REGO);
    Files.writeString(dir.resolve("rules.yaml"), rules("open"));
    int port = FreePorts.next();
    try (TestServer ts =
        new TestServer(
            PolicyServer.start(
                ServerConfig.ephemeral()
                    .withPolicy(dir, null)
                    .withReloadInterval(Duration.ZERO)
                    .withDecisionLog(DecisionLog.Mode.OFF, 1)
                    .withOpa("http://127.0.0.1:" + port, null, Duration.ofMillis(200))))) {
      CheckResponse r = ts.check(EnvoyCheckRequest.http("POST", "shop", "/items").build());
      assertThat(r.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    }
  }

  @Test
  void externalOpaUnreachableAtStartThenAppears() throws Exception {
    Files.writeString(dir.resolve("shop.rego"), REGO);
    Files.writeString(dir.resolve("rules.yaml"), rules("closed"));
    int port = FreePorts.next();
    try (TestServer ts =
        new TestServer(
            PolicyServer.start(
                ServerConfig.ephemeral()
                    .withPolicy(dir, null)
                    .withReloadInterval(Duration.ZERO)
                    .withDecisionLog(DecisionLog.Mode.OFF, 1)
                    .withOpa("http://127.0.0.1:" + port, null, Duration.ofMillis(200))))) {
      var notReady = ts.admin("/readyz");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).contains("OPA at http://127.0.0.1:" + port + " is unreachable");
      CheckResponse early = ts.check(EnvoyCheckRequest.http("GET", "shop", "/items").build());
      assertThat(early.getDeniedResponse().getStatus().getCodeValue())
          .as("fail closed")
          .isEqualTo(500);

      Process opa =
          new ProcessBuilder(
                  Opa.binary().toString(),
                  "run",
                  "--server",
                  "--addr",
                  "127.0.0.1:" + port,
                  "--log-level",
                  "error",
                  "--skip-version-check")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("opa.log").toFile())
              .start();
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> ts.admin("/readyz").statusCode() == 200);
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    ts.check(EnvoyCheckRequest.http("GET", "shop", "/items").build())
                            .getStatus()
                            .getCode()
                        == Code.OK_VALUE);
        assertThat(
                ts.check(EnvoyCheckRequest.http("POST", "shop", "/items").build())
                    .getDeniedResponse()
                    .getStatus()
                    .getCodeValue())
            .isEqualTo(403);
      } finally {
        opa.destroyForcibly();
      }
    }
  }
}
