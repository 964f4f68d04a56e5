package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.HeaderOp;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecisionCombiningTest {
  @TempDir Path tmp;

  private PolicyRuntime start(String yaml) throws Exception {
    return new PolicyDir(tmp).write("p.yaml", yaml).start();
  }

  private static String handler(String name, String params) {
    return "kind: Handler\nname: " + name + "\nadapter: fixed\nparams: " + params + "\n---\n";
  }

  private static String rule(String name, String match, String handler) {
    return "kind: Rule\nname: "
        + name
        + "\n"
        + (match == null ? "" : "match: '" + match + "'\n")
        + "actions:\n- handler: "
        + handler
        + "\n---\n";
  }

  @Test
  void noMatchingRuleAllows() throws Exception {
    try (PolicyRuntime rt =
        start(handler("no", "{allow: false}") + rule("r", "request.path == \"/x\"", "no"))) {
      PolicyDecision d = rt.check(request("request.path", "/y"));
      assertThat(d.allowed()).isTrue();
      assertThat(d.rule()).isEmpty();
      assertThat(d.policyVersion()).isEqualTo(1);
    }
  }

  @Test
  void emptyMatchIsTrue() throws Exception {
    try (PolicyRuntime rt =
        start(
            handler("no", "{allow: false, status: 451, message: gone}")
                + rule("always", null, "no"))) {
      PolicyDecision d = rt.check(request());
      assertThat(d.allowed()).isFalse();
      assertThat(d.httpStatus()).isEqualTo(451);
      assertThat(d.message()).isEqualTo("gone");
      assertThat(d.rule()).isEqualTo("always");
      assertThat(d.handler()).isEqualTo("no");
    }
  }

  @Test
  void firstDenyInRuleOrderWinsOverLaterDeniesAndAllows() throws Exception {
    String yaml =
        handler("yes", "{allow: true, header: x-a=1}")
            + handler("no1", "{allow: false, status: 401, message: first}")
            + handler("no2", "{allow: false, status: 403, message: second}")
            + rule("r1", null, "yes")
            + rule("r2", null, "no1")
            + rule("r3", null, "no2");
    try (PolicyRuntime rt = start(yaml)) {
      PolicyDecision d = rt.check(request());
      assertThat(d.allowed()).isFalse();
      assertThat(d.httpStatus()).isEqualTo(401);
      assertThat(d.rule()).isEqualTo("r2");
      assertThat(d.requestHeaders()).isEmpty();
    }
  }

  @Test
  void headerOperationsMergeInRuleOrder() throws Exception {
    String yaml =
        handler("a", "{header: x-who=handler}")
            + rule("r1", null, "a")
            + """
          kind: Rule
          name: r2
          requestHeaderOperations:
          - name: x-who
            values: ['"rule-" + request.method']
          - name: x-trace
            values: ['"1"', '"2"']
            operation: APPEND
          - name: cookie
            operation: REMOVE
          responseHeaderOperations:
          - name: x-served-by
            values: ['"tollgate"']
          """;
    try (PolicyRuntime rt = start(yaml)) {
      PolicyDecision d = rt.check(request("request.method", "GET"));
      assertThat(d.allowed()).isTrue();
      assertThat(d.requestHeaders())
          .containsExactly(
              HeaderOp.replace("x-who", "handler"),
              HeaderOp.replace("x-who", "rule-GET"),
              HeaderOp.append("x-trace", "1"),
              HeaderOp.append("x-trace", "2"),
              HeaderOp.remove("cookie"));
      assertThat(d.responseHeaders()).containsExactly(HeaderOp.replace("x-served-by", "tollgate"));
    }
  }

  @Test
  void matchThatFailsToEvaluateFailsClosedByDefaultAndIsCounted() throws Exception {
    try (PolicyRuntime rt =
        start(
            handler("no", "{allow: false}")
                + rule("r", "request.headers[\"x-user\"] == \"bob\"", "no"))) {
      assertThat(rt.check(request()).allowed()).isFalse();
      assertThat(rt.counters().matchErrors()).containsEntry("r", 1L);
      assertThat(rt.check(request("request.headers", PolicyDir.headers("X-User", "bob"))).allowed())
          .isFalse();
    }
  }

  @Test
  void instancesCarryExpressionValuesToHandlers() throws Exception {
    String yaml =
        handler("must", "{valueMustBe: bob}")
            + """
          kind: Instance
          name: user
          template: listentry
          params:
            value: 'request.headers["x-user"]'
          ---
          kind: Rule
          name: only-bob
          actions:
          - handler: must
            instances: [user]
          """;
    try (PolicyRuntime rt = start(yaml)) {
      assertThat(rt.check(request("request.headers", PolicyDir.headers("x-user", "bob"))).allowed())
          .isTrue();
      PolicyDecision d = rt.check(request("request.headers", PolicyDir.headers("x-user", "eve")));
      assertThat(d.allowed()).isFalse();
      assertThat(d.message()).contains("eve");
      // A field whose expression fails is absent.
      assertThat(rt.check(request()).message()).contains("value null");
    }
  }

  @Test
  void throwingHandlerFailsClosedByDefault() throws Exception {
    try (PolicyRuntime rt = start(handler("boom", "{fail: true}") + rule("r", null, "boom"))) {
      PolicyDecision d = rt.check(request());
      assertThat(d.allowed()).isFalse();
      assertThat(d.httpStatus()).isEqualTo(500);
      assertThat(d.message())
          .matches("a handler failed \\(id [0-9a-f]{8}\\); the server log has the details")
          .as("the exception's text stays in the log")
          .doesNotContain("IllegalStateException");
      assertThat(rt.counters().handlerFailures()).containsEntry("boom", 1L);
    }
  }

  @Test
  void throwingHandlerWithOpenPolicyAllows() throws Exception {
    String yaml =
        "kind: Handler\nname: boom\nadapter: fixed\nfailurePolicy: open\nparams: {fail: true}\n---\n"
            + rule("r", null, "boom");
    try (PolicyRuntime rt = start(yaml)) {
      assertThat(rt.check(request()).allowed()).isTrue();
    }
  }

  @Test
  void blockingHandlersRunConcurrentlyAndMissedDeadlinesFailClosed() throws Exception {
    String yaml =
        "kind: Handler\nname: slow\nadapter: fixed\ntimeout: 50ms\nparams: {blocking: true, sleepMs: 5000}\n---\n"
            + "kind: Handler\nname: b1\nadapter: fixed\ntimeout: 2s\nparams: {blocking: true, sleepMs: 300, header: x-b=1}\n---\n"
            + "kind: Handler\nname: b2\nadapter: fixed\ntimeout: 2s\nparams: {blocking: true, sleepMs: 300, header: x-b=2}\n---\n"
            + rule("r1", "request.path == \"/slow\"", "slow")
            + rule("r2", "request.path == \"/two\"", "b1")
            + rule("r3", "request.path == \"/two\"", "b2");
    try (PolicyRuntime rt = start(yaml)) {
      PolicyDecision late = rt.check(request("request.path", "/slow"));
      assertThat(late.allowed()).isFalse();
      assertThat(late.message()).contains("missed its 50ms deadline");

      long t0 = System.nanoTime();
      PolicyDecision two = rt.check(request("request.path", "/two"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(two.allowed()).isTrue();
      assertThat(two.requestHeaders())
          .containsExactly(HeaderOp.replace("x-b", "1"), HeaderOp.replace("x-b", "2"));
      // Two 300 ms handlers in parallel take well under the 600 ms they would take in series.
      assertThat(ms).isLessThan(590);
    }
  }

  @Test
  void unchangedHandlersAreReusedAndReplacedOnesClosed() throws Exception {
    PolicyDir d = new PolicyDir(tmp);
    d.write(
        "p.yaml",
        handler("a", "{allow: true}") + handler("b", "{allow: true}") + rule("r", null, "a"));
    try (PolicyRuntime rt = d.start()) {
      int builds = io.tollgate.rules.fake.FixedAdapter.BUILDS.get();
      int closes = io.tollgate.rules.fake.FixedAdapter.CLOSES.get();
      d.write(
          "p.yaml",
          handler("a", "{allow: true}") + handler("b", "{allow: false}") + rule("r", null, "a"));
      assertThat(rt.reload().swapped()).isTrue();
      assertThat(io.tollgate.rules.fake.FixedAdapter.BUILDS.get() - builds).isEqualTo(1);
      // Closed once the old version's requests have drained (none here), on the retiring thread.
      assertThat(rt.awaitRetired(java.time.Duration.ofSeconds(20))).isTrue();
      assertThat(io.tollgate.rules.fake.FixedAdapter.CLOSES.get() - closes).isEqualTo(1);
    }
  }

  @Test
  void aParamThatChangesOnlyItsTypeIsBuiltAgainNotReused() throws Exception {
    // 403 and "403" print alike; the second is not an integer, so it must be refused.
    PolicyDir d = new PolicyDir(tmp);
    d.write("p.yaml", handler("no", "{allow: false, status: 403}") + rule("r", null, "no"));
    try (PolicyRuntime rt = d.start()) {
      d.write("p.yaml", handler("no", "{allow: false, status: \"403\"}") + rule("r", null, "no"));
      ReloadResult r = rt.reload();
      assertThat(r.swapped()).isFalse();
      assertThat(r.errors().toString()).contains("status: must be an integer");
    }
  }
}
