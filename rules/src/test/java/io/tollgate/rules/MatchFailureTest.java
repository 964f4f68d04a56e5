package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.headers;
import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.ConfigError;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule that can deny and whose {@code match} fails to evaluate (here: a header left out of the
 * request) counts as matched when it fails closed, per rule ({@code matchFailurePolicy}) or by the
 * runtime's default, which is closed; open, it does not match. Either way the error is counted.
 */
class MatchFailureTest {
  @TempDir Path tmp;

  private static final String HANDLERS =
      """
      kind: Handler
      name: no
      adapter: fixed
      params: {allow: false, status: 403, message: nope}
      ---
      """;

  /** A deny rule reading a header without checking it is there. */
  private static String denyRule(String policy) {
    return "kind: Rule\nname: ban-bob\nmatch: request.headers[\"x-user\"] == \"bob\"\n"
        + (policy == null ? "" : "matchFailurePolicy: " + policy + "\n")
        + "actions:\n- handler: no\n";
  }

  private PolicyRuntime start(RuntimeOptions options) throws Exception {
    return PolicyRuntime.start(options);
  }

  private PolicyDir dir(String rules) {
    return new PolicyDir(tmp).write("p.yaml", HANDLERS + rules);
  }

  private static PolicyDecision withoutHeader(PolicyRuntime r) {
    return r.check(request("request.headers", headers("x-other", "1")));
  }

  @Test
  void aDenyRuleWhoseMatchErrsDeniesByDefault() throws Exception {
    try (PolicyRuntime r = start(dir(denyRule(null)).options())) {
      PolicyDecision d = withoutHeader(r);
      assertThat(d.httpStatus()).isEqualTo(403);
      assertThat(d.rule()).isEqualTo("ban-bob");
      assertThat(r.counters().matchErrors()).containsEntry("ban-bob", 1L);
      // A request the match can evaluate is decided by it.
      assertThat(r.check(request("request.headers", headers("x-user", "al"))).allowed()).isTrue();
    }
  }

  @Test
  void theServerDefaultCanBeOpen() throws Exception {
    try (PolicyRuntime r = start(dir(denyRule(null)).options().withFailClosedMatches(false))) {
      assertThat(withoutHeader(r).allowed()).isTrue();
      assertThat(r.counters().matchErrors()).containsEntry("ban-bob", 1L);
    }
  }

  @Test
  void aRuleSaysClosedOverAnOpenDefault() throws Exception {
    try (PolicyRuntime r = start(dir(denyRule("closed")).options().withFailClosedMatches(false))) {
      assertThat(withoutHeader(r).httpStatus()).isEqualTo(403);
    }
  }

  @Test
  void aRuleSaysOpenOverTheClosedDefault() throws Exception {
    try (PolicyRuntime r = start(dir(denyRule("open")).options())) {
      assertThat(withoutHeader(r).allowed()).isTrue();
      assertThat(r.counters().matchErrors()).containsEntry("ban-bob", 1L);
    }
  }

  @Test
  void aRuleThatCannotDenyDoesNotMatchOnAnError() throws Exception {
    String rule =
        """
        kind: Rule
        name: tag-bob
        match: request.headers["x-user"] == "bob"
        matchFailurePolicy: closed
        requestHeaderOperations:
        - name: x-tagged
          values: ['"yes"']
        """;
    try (PolicyRuntime r = start(dir(rule).options())) {
      PolicyDecision d = withoutHeader(r);
      assertThat(d.allowed()).isTrue();
      assertThat(d.requestHeaders()).isEmpty();
      assertThat(r.counters().matchErrors()).containsEntry("tag-bob", 1L);
    }
  }

  @Test
  void aMistypedPolicyIsRefusedWithItsLocation() {
    List<ConfigError> errors = PolicyRuntime.validate(dir(denyRule("shut")).options());
    assertThat(errors)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.file()).isEqualTo("p.yaml");
              assertThat(e.line()).isEqualTo(9);
              assertThat(e.column()).isEqualTo(21);
              assertThat(e.message())
                  .isEqualTo("matchFailurePolicy must be 'open' or 'closed', not 'shut'");
            });
  }
}
