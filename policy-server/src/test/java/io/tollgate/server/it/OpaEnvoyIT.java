package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.tollgate.server.DecisionLog;
import io.tollgate.server.PolicyServer;
import io.tollgate.server.ServerConfig;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import io.tollgate.testing.Opa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A policy written for OPA-Envoy, unchanged (package envoy.authz, decision allow, data documents),
 * served by Tollgate with a real OPA it runs itself, asked by a real gRPC client.
 */
class OpaEnvoyIT {
  static final String ADMIN = "spiffe://cluster.local/ns/shop/sa/admin";
  static final String FRONTEND = "spiffe://cluster.local/ns/shop/sa/frontend";
  static Path dir;
  static TestServer ts;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("tollgate-opa-envoy-");
    Files.createDirectories(dir.resolve("users"));
    Files.createDirectories(dir.resolve("tests"));
    for (String f : new String[] {"authz.rego", "users/data.json", "tests/opa.yaml"}) {
      TestServer.copyResource("opa-envoy/" + f, dir.resolve(f));
    }
    ts =
        new TestServer(
            PolicyServer.start(
                ServerConfig.ephemeral()
                    .withPolicy(dir, null)
                    .withReloadInterval(Duration.ZERO)
                    .withDecisionLog(DecisionLog.Mode.OFF, 1)
                    .withOpa(null, Opa.binary(), Duration.ofMillis(500))));
    await().atMost(Duration.ofSeconds(15)).until(() -> ts.admin("/readyz").statusCode() == 200);
  }

  @AfterAll
  static void stop() {
    ts.close();
  }

  static Stream<Arguments> table() {
    return Stream.of(
        row("GET", "/health", null, "", "10.1.1.1", true),
        row("GET", "/health/live", null, "", "10.1.1.1", true),
        row("GET", "/books", null, "", "203.0.113.9", true),
        row("GET", "/books/42", null, "", "203.0.113.9", true),
        row("HEAD", "/books", null, "", "203.0.113.9", false),
        row("POST", "/books", "alice", "", "203.0.113.9", true),
        row("POST", "/books", "bob", "", "203.0.113.9", false),
        row("POST", "/books", null, "", "203.0.113.9", false),
        row("DELETE", "/books/1", "alice", "", "203.0.113.9", true),
        row("PUT", "/books/1", "carol", "", "203.0.113.9", false),
        row("GET", "/admin", null, "", "10.1.1.1", false),
        row("GET", "/admin", null, ADMIN, "10.1.1.1", true),
        row("GET", "/admin/users", null, FRONTEND, "10.1.1.1", false),
        row("GET", "/books?debug=true", null, "", "10.1.1.1", false),
        row("GET", "/books?debug=false", null, "", "10.1.1.1", true),
        row("GET", "/books?debug=true", null, ADMIN, "10.1.1.1", true),
        row("GET", "/orders", "alice", "", "10.1.1.1", true),
        row("GET", "/orders", null, "", "10.1.1.1", false),
        row("GET", "/orders?page=2", "bob", "", "10.1.1.1", true),
        row("POST", "/orders", "bob", "", "10.0.0.5", true),
        row("POST", "/orders", "bob", "", "192.168.1.5", false),
        row("POST", "/orders", "mallory", "", "10.0.0.5", false),
        row("GET", "/%62ooks", null, "", "10.1.1.1", true),
        row("GET", "/", null, "", "10.1.1.1", false));
  }

  static Arguments row(
      String method, String path, String user, String principal, String ip, boolean allowed) {
    return Arguments.of(method, path, user, principal, ip, allowed);
  }

  @ParameterizedTest(name = "{0} {1} user={2} principal={3} from {4} -> allowed={5}")
  @MethodSource("table")
  void decidesAsOpaEnvoyWould(
      String method, String path, String user, String principal, String ip, boolean allowed) {
    EnvoyCheckRequest r =
        EnvoyCheckRequest.http(method, "shop", path).principal(principal).source(ip, 41000);
    if (user != null) {
      r.header("x-user", user);
    }
    CheckResponse resp = ts.check(r.build());
    if (allowed) {
      assertThat(resp.getStatus().getCode()).as("%s", resp).isEqualTo(Code.OK_VALUE);
    } else {
      assertThat(resp.getStatus().getCode()).as("%s", resp).isEqualTo(Code.PERMISSION_DENIED_VALUE);
      assertThat(resp.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
      assertThat(resp.getDynamicMetadata().getFieldsMap().get("rule").getStringValue())
          .isEqualTo("envoy.authz.allow");
    }
  }

  @Test
  void opaMetricsAreExported() {
    ts.check(EnvoyCheckRequest.http("GET", "shop", "/books").build());
    String m = ts.admin("/metrics").body();
    assertThat(m)
        .containsPattern("tollgate_opa_query_duration_seconds_count\\{outcome=\"ok\"} [1-9]");
    assertThat(m)
        .contains("tollgate_opa_circuit_breaker_state 0.0")
        .contains("tollgate_opa_ready 1.0");
  }

  @Test
  void ruleTestsAndValidateRunRegoThroughOpa() throws Exception {
    var test =
        io.tollgate.rules.testing.RuleTestRunner.run(
            new io.tollgate.rules.RuntimeOptions(
                dir,
                null,
                null,
                new io.tollgate.rules.rego.RegoEngine.Settings(
                    null, Opa.binary(), Duration.ofSeconds(5)),
                Duration.ofSeconds(2),
                null));
    assertThat(test.passed()).as("%s", test).isTrue();
    assertThat(test.cases()).hasSize(3);
  }
}
