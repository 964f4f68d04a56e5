package io.tollgate.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.testing.Opa;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rego that would reach outside OPA (network, environment, files) is refused at load by a real,
 * supervised OPA's capabilities, unless the operator allowed the builtin by name.
 */
class RegoCapabilitiesTest {
  static final String SAFE =
      """
      package envoy.authz

      default allow := false

      allow if input.attributes.request.http.method == "GET"
      """;

  @TempDir Path tmp;

  RuntimeOptions options(PolicyDir d, Set<String> allowed) {
    return new RuntimeOptions(
        d.dir,
        null,
        null,
        new RegoEngine.Settings(null, Opa.binary(), Duration.ofSeconds(2), allowed),
        Duration.ofSeconds(2),
        null);
  }

  @Test
  void everyBuiltinThatReachesOutIsRefusedAtItsLocationAndTheLastGoodPolicyServes()
      throws Exception {
    PolicyDir d = new PolicyDir(tmp).write("authz.rego", SAFE);
    try (PolicyRuntime rt = PolicyRuntime.start(options(d, Set.of()))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.notReadyReason().isEmpty());
      assertThat(rt.check(RegoTest.get("GET", "/")).allowed()).isTrue();

      d.write(
          "authz.rego",
          SAFE
              + """

              leak := http.send({"method": "get", "url": "http://169.254.169.254/"})

              env := opa.runtime().env

              addrs := net.lookup_ip_addr("example.com")
              """);
      d.write(
          "schemas/check.rego",
          """
          package schemas

          ok if json.match_schema(input, {"$ref": "http://internal.example/s.json"})[0]

          valid := json.verify_schema({"$ref": "file:///etc/passwd"})
          """);
      ReloadResult refused = rt.reload();
      assertThat(refused.swapped()).isFalse();
      assertThat(refused.errors())
          .extracting(ConfigError::file, ConfigError::line, ConfigError::column)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("authz.rego", 7, 9),
              org.assertj.core.groups.Tuple.tuple("authz.rego", 9, 8),
              org.assertj.core.groups.Tuple.tuple("authz.rego", 11, 10),
              org.assertj.core.groups.Tuple.tuple("schemas/check.rego", 3, 7),
              org.assertj.core.groups.Tuple.tuple("schemas/check.rego", 5, 10));
      assertThat(refused.errors().get(0).message())
          .startsWith("Rego: http.send is not allowed:")
          .contains("--opa-allow-builtin http.send");
      // The last good version still decides.
      assertThat(rt.check(RegoTest.get("GET", "/")).allowed()).isTrue();
      assertThat(rt.check(RegoTest.get("POST", "/")).allowed()).isFalse();
    }
  }

  @Test
  void aBuiltinTheOperatorAllowsLoads() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write(
                "authz.rego",
                """
                package envoy.authz

                default allow := false

                # The supervised OPA runs with an empty environment: nothing for a policy to read.
                allow if {
                  input.attributes.request.http.method == "GET"
                  count(opa.runtime().env) == 0
                }
                """);
    try (PolicyRuntime rt = PolicyRuntime.start(options(d, Set.of("opa.runtime")))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.notReadyReason().isEmpty());
      assertThat(rt.check(RegoTest.get("GET", "/")).allowed()).as("opa.runtime() allowed").isTrue();
      // http.send stays left out.
      d.write(
          "authz.rego", SAFE + "\nx := http.send({\"method\": \"get\", \"url\": \"http://a\"})\n");
      assertThat(rt.reload().errors())
          .singleElement()
          .satisfies(e -> assertThat(e.toString()).startsWith("authz.rego:7:6: Rego: http.send"));
    }
  }

  @Test
  void onlyLeftOutBuiltinsCanBeAllowed() {
    assertThatThrownBy(
            () -> new RegoEngine.Settings(null, null, Duration.ofSeconds(1), Set.of("time.now_ns")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not [time.now_ns]");
  }
}
