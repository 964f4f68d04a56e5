package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While clients send checks without pause, the policy file changes from valid (deny /v1) to invalid
 * to valid (deny /v2). Every check is answered, each by exactly one policy version whose rules
 * explain its decision, and the invalid version never serves.
 */
class ReloadUnderLoadIT {
  static final String DENY_V1 =
      policy("/v1", "request.url_path.startsWith(prefix)".replace("prefix", "\"/v1\""));
  static final String INVALID = policy("/v1", "request.path > 3");
  static final String DENY_V2 = policy("/v2", "request.url_path.startsWith(\"/v2\")");

  static String policy(String what, String match) {
    return """
        kind: Handler
        name: closed
        adapter: denier
        params: {status: 403, message: "%s is closed"}
        ---
        kind: Rule
        name: gate
        match: '%s'
        actions:
        - handler: closed
        """
        .formatted(what, match);
  }

  @TempDir Path dir;

  record Seen(String path, boolean allowed, long version) {}

  @Test
  void everyCheckIsDecidedByExactlyOneValidVersion() throws Exception {
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(rules, DENY_V1);
    try (TestServer ts = TestServer.start(dir, null, Duration.ofMillis(50))) {
      ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      LongAdder sent = new LongAdder();
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService clients = Executors.newFixedThreadPool(4);
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        int client = c;
        done.add(
            clients.submit(
                () -> {
                  int i = 0;
                  while (running.get()) {
                    String path = (i++ + client) % 2 == 0 ? "/v1/items" : "/v2/items";
                    try {
                      CheckResponse r =
                          ts.authz
                              .withDeadlineAfter(5, TimeUnit.SECONDS)
                              .check(EnvoyCheckRequest.http("GET", "shop", path).build());
                      long version =
                          (long)
                              r.getDynamicMetadata()
                                  .getFieldsMap()
                                  .get("policy_version")
                                  .getNumberValue();
                      seen.add(new Seen(path, r.getStatus().getCode() == Code.OK_VALUE, version));
                    } catch (RuntimeException e) {
                      failures.add(e);
                    }
                    sent.increment();
                  }
                }));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() > 200);

      Files.writeString(rules, INVALID);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> ts.admin("/config").body().contains("lastReloadFailure\" : {"));
      String config = ts.admin("/config").body();
      assertThat(config)
          .contains("\"version\" : 1")
          .contains(
              "rules.yaml:8:22: CEL: found no matching overload for '_>_' applied to '(string, int)'");
      assertThat(ts.admin("/metrics").body())
          .contains("tollgate_policy_reloads_total{result=\"failure\"} 1.0");
      long beforeFix = seen.size();
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() > beforeFix + 200);

      Files.writeString(rules, DENY_V2);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> ts.server.runtime().status().version() == 2);
      long afterFix = seen.size();
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() > afterFix + 200);
      running.set(false);
      for (Future<?> f : done) {
        f.get(20, TimeUnit.SECONDS);
      }
      clients.shutdown();

      assertThat(failures).as("checks that failed or hung").isEmpty();
      assertThat(seen).hasSize((int) sent.sum());
      Map<Long, LongAdder> perVersion = new ConcurrentHashMap<>();
      for (Seen s : seen) {
        perVersion.computeIfAbsent(s.version(), v -> new LongAdder()).increment();
        boolean expectAllowed =
            s.version() == 1 ? s.path().startsWith("/v2") : s.path().startsWith("/v1");
        assertThat(s.allowed())
            .as("%s under version %d", s.path(), s.version())
            .isEqualTo(expectAllowed);
      }
      assertThat(perVersion.keySet()).as("versions that decided").containsExactlyInAnyOrder(1L, 2L);
      assertThat(ts.admin("/config").body())
          .contains("\"version\" : 2")
          .contains("\"lastReloadFailure\" : null");
    }
  }
}
