package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.headers;
import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.rules.snapshot.Quarantine;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DRL rule that runs away (a loop in a consequence or a function, recursion, a catastrophic
 * {@code java.util.regex} match in a condition or a consequence) cannot hold the request thread:
 * the check gets the handler's failure policy at the deadline, the evaluation is abandoned on the
 * DRL pool and counted, and after {@value Quarantine#MISSES} misses the handler is held.
 *
 * <p>The runaway work here is long (seconds, against a 20 ms deadline) but finite, so the pool
 * threads it takes come back and the test JVM is not left spinning. That a check answered with the
 * failure policy, not with the rule's own 403, shows it was cut off: had it waited, the rule would
 * have denied.
 */
class RunawayDrlTest {
  @TempDir Path tmp;

  private static final String HEADER =
      """
      package t.runaway
      import io.tollgate.rules.drools.Request
      import io.tollgate.rules.drools.Decision
      """;

  /** A handler for the package with a short deadline, a rule that calls it, and a denier rule. */
  private static final String HANDLERS =
      """
      kind: Handler
      name: runaway
      adapter: drools
      timeout: 20ms
      params: {packages: [t.runaway]}
      ---
      kind: Handler
      name: closed
      adapter: fixed
      params: {allow: false, status: 418, message: teapot}
      ---
      kind: Rule
      name: drl
      match: '"x-go" in request.headers'
      actions:
      - handler: runaway
      ---
      kind: Rule
      name: teapot
      match: request.path == "/teapot"
      actions:
      - handler: closed
      """;

  /**
   * Against 30 a's and a mismatch, {@code (.*a){11}} backtracks through the ways of cutting them in
   * 11 pieces: over a second in {@code java.util.regex} (JDK 17 memoizes simpler cases such as
   * {@code (a+)+$}), growing steeply with the length.
   */
  private static final String EVIL = "a".repeat(30) + "!";

  private static final String EVIL_PATTERN = "(.*a){11}";

  private PolicyRuntime start(String drl) throws Exception {
    return new PolicyDir(tmp).write("h.yaml", HANDLERS).write("r.drl", HEADER + drl).start();
  }

  /** Runs away three times: each check answers 500 at the deadline; then the handler is held. */
  private static void assertCutOffAndHeld(PolicyRuntime r, String value) {
    for (int i = 0; i < Quarantine.MISSES; i++) {
      PolicyDecision d = r.check(request("request.headers", headers("x-go", value)));
      assertThat(d.allowed()).isFalse();
      assertThat(d.httpStatus()).as("the failure policy, not the rule's 403").isEqualTo(500);
      assertThat(d.message()).contains("missed its 20ms deadline");
    }
    PolicyDecision held = r.check(request("request.headers", headers("x-go", value)));
    assertThat(held.httpStatus()).isEqualTo(500);
    assertThat(held.message()).contains("is held");
    assertThat(r.counters().quarantines()).containsEntry("runaway", 1L);
    assertThat(r.counters().handlerFailures().get("runaway")).isGreaterThanOrEqualTo(4L);
    // Other rules are decided as before, on the request thread.
    assertThat(r.check(request("request.path", "/teapot")).httpStatus()).isEqualTo(418);
    assertThat(r.check(request("request.path", "/")).allowed()).isTrue();
    org.awaitility.Awaitility.await("the abandoned evaluations end and are counted")
        .atMost(Duration.ofMinutes(2))
        .until(() -> r.counters().stuck() == 0 && r.counters().overruns().containsKey("runaway"));
  }

  @Test
  void aLoopInAConsequenceIsCutOffAtTheDeadline() throws Exception {
    try (PolicyRuntime r =
        start(
            """
            rule "spin"
            when
              Request(header("x-go") == "loop")
              $d : Decision()
            then
              long n = 0;
              for (long i = 0; i < 2000000000L; i++) { n += i ^ (n >>> 3); }
              $d.deny(403, "spun " + n);
            end
            """)) {
      assertCutOffAndHeld(r, "loop");
    }
  }

  @Test
  void aLoopInAFunctionIsCutOffAtTheDeadline() throws Exception {
    try (PolicyRuntime r =
        start(
            """
            function long spin(long times) {
              long n = 0;
              long i = 0;
              while (i < times) { n += i ^ (n >>> 3); i++; }
              return n;
            }
            rule "spin"
            when
              Request(header("x-go") == "loop")
              $d : Decision()
            then
              $d.deny(403, "spun " + spin(2000000000L));
            end
            """)) {
      assertCutOffAndHeld(r, "loop");
    }
  }

  @Test
  void recursionIsCutOffAtTheDeadline() throws Exception {
    try (PolicyRuntime r =
        start(
            """
            function long fib(long n) {
              return n < 2 ? n : fib(n - 1) + fib(n - 2);
            }
            rule "recurse"
            when
              Request(header("x-go") == "fib")
              $d : Decision()
            then
              $d.deny(403, "fib " + fib(42));
            end
            """)) {
      assertCutOffAndHeld(r, "fib");
    }
  }

  @Test
  void aCatastrophicRegexInAConditionIsCutOffAtTheDeadline() throws Exception {
    try (PolicyRuntime r =
        start(
            """
            rule "evil regex"
            when
              Request(header("x-go") matches "%s")
              $d : Decision()
            then
              $d.deny(403, "matched");
            end
            """
                .formatted(EVIL_PATTERN))) {
      assertCutOffAndHeld(r, EVIL);
    }
  }

  @Test
  void aCatastrophicRegexInAConsequenceIsCutOffAtTheDeadline() throws Exception {
    try (PolicyRuntime r =
        start(
            """
            import java.util.regex.Pattern
            rule "evil regex"
            when
              $r : Request(header("x-go") != "")
              $d : Decision()
            then
              if (Pattern.compile("%s").matcher($r.header("x-go")).matches()) {
                $d.deny(403, "matched");
              }
            end
            """
                .formatted(EVIL_PATTERN))) {
      assertCutOffAndHeld(r, EVIL);
    }
  }

  @Test
  void aDrlRuleWithinItsDeadlineDecidesAsBefore() throws Exception {
    // A deadline a first, cold evaluation meets on a loaded machine: this is about the answer.
    try (PolicyRuntime r =
        new PolicyDir(tmp)
            .write("h.yaml", HANDLERS.replace("timeout: 20ms", "timeout: 30s"))
            .write(
                "r.drl",
                HEADER
                    + """
            rule "deny"
            when
              Request(header("x-go") == "deny")
              $d : Decision()
            then
              $d.deny(403, "denied by DRL");
            end
            """)
            .start()) {
      PolicyDecision d = r.check(request("request.headers", headers("x-go", "deny")));
      assertThat(d.httpStatus()).isEqualTo(403);
      assertThat(d.rule()).isEqualTo("drl > t.runaway.deny");
      assertThat(r.check(request("request.headers", headers("x-go", "no"))).allowed()).isTrue();
      assertThat(r.counters().handlerFailures()).doesNotContainKey("runaway");
    }
  }
}
