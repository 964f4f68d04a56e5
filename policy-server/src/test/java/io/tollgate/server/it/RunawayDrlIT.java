package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DRL rule that runs away, hit by more concurrent checks than the server has worker threads,
 * while other rules are checked over gRPC: every runaway check gets the handler's failure policy
 * (500), not the rule's 403, the handler is quarantined, and the other checks keep being answered
 * correctly within their gRPC deadline. Had DRL run on the request threads, the runaway checks
 * would have held every worker and the other checks would have missed their deadline.
 */
class RunawayDrlIT {
  @TempDir Path dir;

  private static final String POLICY =
      """
      kind: Handler
      name: runaway
      adapter: drools
      timeout: 50ms
      params: {packages: [t.runaway]}
      ---
      kind: Handler
      name: admins
      adapter: denier
      params: {status: 403, message: admins only}
      ---
      kind: Rule
      name: drl
      match: '"x-go" in request.headers'
      actions:
      - handler: runaway
      ---
      kind: Rule
      name: admin-only
      match: request.url_path.startsWith("/admin")
      actions:
      - handler: admins
      """;

  /** Seconds of work per evaluation: long against the deadline, finite so the threads return. */
  private static final String DRL =
      """
      package t.runaway
      import io.tollgate.rules.drools.Request
      import io.tollgate.rules.drools.Decision
      rule "spin"
      when
        Request(header("x-go") == "loop")
        $d : Decision()
      then
        long n = 0;
        for (long i = 0; i < 3000000000L; i++) { n += i ^ (n >>> 3); }
        $d.deny(403, "spun " + n);
      end
      """;

  @Test
  void otherChecksAreAnsweredWhileADrlRuleRunsAway() throws Exception {
    Files.writeString(dir.resolve("policy.yaml"), POLICY);
    Files.writeString(dir.resolve("runaway.drl"), DRL);
    var config = TestServer.config(dir, null, Duration.ZERO);
    int workers = config.workerThreads();
    ExecutorService clients = Executors.newFixedThreadPool(workers * 2);
    try (TestServer ts = TestServer.start(config)) {
      List<Future<CheckResponse>> runaways = new ArrayList<>();
      for (int i = 0; i < workers * 2; i++) {
        runaways.add(
            clients.submit(
                () ->
                    ts.check(
                        EnvoyCheckRequest.http("GET", "shop", "/x")
                            .header("x-go", "loop")
                            .build())));
      }
      // While they run: other rules, over the same transport, many times.
      for (int i = 0; i < 50; i++) {
        CheckResponse ok =
            ts.authz
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(EnvoyCheckRequest.http("GET", "shop", "/ok").build());
        assertThat(ok.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
        CheckResponse admin =
            ts.authz
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(EnvoyCheckRequest.http("GET", "shop", "/admin/x").build());
        assertThat(admin.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
      }
      for (Future<CheckResponse> f : runaways) {
        CheckResponse r = f.get(30, TimeUnit.SECONDS);
        assertThat(r.getDeniedResponse().getStatus().getCodeValue())
            .as("the failure policy answered, not the rule that ran away")
            .isEqualTo(500);
      }
      String metrics = ts.admin("/metrics").body();
      assertThat(metrics).contains("tollgate_handler_quarantines_total{handler=\"runaway\"}");
      assertThat(metrics).contains("tollgate_handler_calls_stuck");
    } finally {
      clients.shutdownNow();
    }
  }
}
