package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Instance;
import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.fake.RecordingAdapter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Report rules: metric and logentry instances go to report handlers, never into a decision. */
class ReportRulesTest {
  @TempDir Path tmp;

  static final String POLICY =
      """
      kind: Handler
      name: recorder
      adapter: recording
      ---
      kind: Handler
      name: broken
      adapter: recording
      params: {fail: true}
      ---
      kind: Handler
      name: no
      adapter: fixed
      params: {allow: false}
      ---
      kind: Instance
      name: requestcount
      template: metric
      params:
        value: '1'
        dimensions:
          code: response.code
          method: request.method
      ---
      kind: Instance
      name: access
      template: logentry
      params:
        severity: 'response.code >= 500 ? "ERROR" : "INFO"'
        variables: {path: request.path, latency: response.duration}
      ---
      kind: Rule
      name: telemetry
      match: request.path != "/healthz"
      actions:
      - handler: recorder
        instances: [requestcount, access]
      - handler: broken
        instances: [requestcount]
      ---
      kind: Rule
      name: deny-admin
      match: request.path.startsWith("/admin")
      actions:
      - handler: no
      """;

  @BeforeEach
  void clear() {
    RecordingAdapter.RECORDED.clear();
  }

  @Test
  void reportRulesRecordAndNeverDecide() throws Exception {
    new PolicyDir(tmp).write("p.yaml", POLICY);
    try (PolicyRuntime rt = new PolicyDir(tmp).start()) {
      var finished =
          request(
              "request.path",
              "/orders",
              "request.method",
              "GET",
              "response.code",
              503L,
              "response.duration",
              Duration.ofMillis(12));
      assertThat(rt.report(finished))
          .as("instances recorded; the broken handler's is lost")
          .isEqualTo(2);
      List<Instance> got = RecordingAdapter.RECORDED;
      assertThat(got).extracting(Instance::name).containsExactly("requestcount", "access");
      assertThat(got.get(0).values())
          .containsEntry("value", 1L)
          .containsEntry("dimensions", Map.of("code", 503L, "method", "GET"));
      assertThat(got.get(1).values()).containsEntry("severity", "ERROR");
      assertThat(rt.counters().handlerFailures()).containsEntry("broken", 1L);

      assertThat(rt.report(request("request.path", "/healthz")))
          .as("the rule does not match")
          .isZero();
      // Checks never run report handlers, and report rules never decide.
      RecordingAdapter.RECORDED.clear();
      assertThat(rt.check(request("request.path", "/orders")).allowed()).isTrue();
      assertThat(rt.check(request("request.path", "/admin")).allowed()).isFalse();
      assertThat(RecordingAdapter.RECORDED).isEmpty();
      // A report of a request the check rules would deny records it all the same.
      assertThat(rt.report(request("request.path", "/admin/x", "response.code", 403L)))
          .isEqualTo(2);
    }
  }

  @Test
  void templatesMustReachHandlersOfTheirKind() {
    PolicyDir d = new PolicyDir(tmp);
    d.write(
        "p.yaml",
        """
        kind: Handler
        name: recorder
        adapter: recording
        ---
        kind: Instance
        name: requestcount
        template: metric
        params: {value: '1'}
        ---
        kind: Rule
        name: r
        actions:
        - handler: recorder
        """);
    assertThat(PolicyRuntime.validate(d.options()))
        .extracting(ConfigError::toString)
        .anySatisfy(
            e ->
                assertThat(e)
                    .contains("p.yaml:13:3")
                    .contains("needs instances of [logentry, metric]"));
    d.write(
        "p.yaml",
        """
        kind: Instance
        name: requestcount
        template: metric
        params:
          value: '1'
          dimensions: {code: response.code > "x"}
        """);
    assertThat(PolicyRuntime.validate(d.options()))
        .extracting(ConfigError::toString)
        .anySatisfy(e -> assertThat(e).startsWith("p.yaml:6:"));
  }
}
