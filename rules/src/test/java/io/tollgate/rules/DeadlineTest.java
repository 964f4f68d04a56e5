package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.rules.fake.FixedAdapter;
import io.tollgate.rules.snapshot.PolicySnapshot;
import io.tollgate.rules.snapshot.Quarantine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One deadline per check: blocking handlers run at once and every deadline counts from the start of
 * the check; a handler that misses it is interrupted, and held after repeated misses; a replaced
 * handler is closed only once the requests using it are done.
 */
class DeadlineTest {
  @TempDir Path tmp;

  private static String blocking(String name, String timeout, long sleepMs, String tag) {
    return "kind: Handler\nname: "
        + name
        + "\nadapter: fixed\ntimeout: "
        + timeout
        + "\nparams: {blocking: true, sleepMs: "
        + sleepMs
        + ", message: "
        + tag
        + "}\n---\n";
  }

  private static String rule(String name, String handler) {
    return "kind: Rule\nname: " + name + "\nactions:\n- handler: " + handler + "\n---\n";
  }

  private static long interruptions(String tag) {
    return FixedAdapter.INTERRUPTED.stream().filter(e -> e.getKey().equals(tag)).count();
  }

  private static long firstInterruption(String tag) {
    return FixedAdapter.INTERRUPTED.stream()
        .filter(e -> e.getKey().equals(tag))
        .mapToLong(java.util.Map.Entry::getValue)
        .min()
        .orElseThrow();
  }

  private static void await(String what, BooleanSupplier condition) {
    await(what, Duration.ofSeconds(20), condition);
  }

  private static void await(String what, Duration bound, BooleanSupplier condition) {
    org.awaitility.Awaitility.await(what)
        .atMost(bound)
        .pollInterval(Duration.ofMillis(5))
        .until(condition::getAsBoolean);
  }

  @Test
  void fourBlockingHandlersEndTheCheckAtOneDeadlineNotTheirSum() throws Exception {
    StringBuilder yaml = new StringBuilder();
    for (int i = 1; i <= 4; i++) {
      yaml.append(blocking("slow" + i, "300ms", 10_000, "four-" + i));
      yaml.append(rule("r" + i, "slow" + i));
    }
    try (PolicyRuntime rt = new PolicyDir(tmp).write("p.yaml", yaml.toString()).start()) {
      long start = System.nanoTime();
      PolicyDecision d = rt.check(request());
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(d.allowed()).isFalse();
      assertThat(d.httpStatus()).isEqualTo(500);
      assertThat(d.handler()).as("the first deny in rule order").isEqualTo("slow1");
      assertThat(d.message()).contains("missed its 300ms deadline");
      // The sum of the deadlines is 1200 ms; one deadline is 300 ms.
      assertThat(took).as("check took %d ms", took).isGreaterThanOrEqualTo(300).isLessThan(1100);
      // Every one of them was interrupted, so their threads are free again.
      for (int i = 1; i <= 4; i++) {
        String tag = "four-" + i;
        await(tag + " interrupted", () -> interruptions(tag) == 1);
      }
    }
  }

  @Test
  void aHandlerWithALowerDeadlineIsCutAtItsOwnDeadline() throws Exception {
    // The long one comes first in rule order, so the check waits for it; the short one must not.
    String yaml =
        blocking("long", "1500ms", 10_000, "cut-long")
            + blocking("short", "100ms", 10_000, "cut-short")
            + rule("r1", "long")
            + rule("r2", "short");
    try (PolicyRuntime rt = new PolicyDir(tmp).write("p.yaml", yaml).start()) {
      long start = System.nanoTime();
      PolicyDecision d = rt.check(request());
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(d.handler()).isEqualTo("long");
      assertThat(took).as("check took %d ms", took).isGreaterThanOrEqualTo(1500);
      long cut = TimeUnit.NANOSECONDS.toMillis(firstInterruption("cut-short") - start);
      assertThat(cut).as("short interrupted after %d ms", cut).isLessThan(1000);
      await("long interrupted", () -> interruptions("cut-long") == 1);
    }
  }

  @Test
  void aKnownDenyAnswersWithoutWaitingForLaterBlockingHandlers() throws Exception {
    String yaml =
        "kind: Handler\nname: no\nadapter: fixed\nparams: {allow: false, status: 401, message: nope}\n---\n"
            + blocking("later", "5s", 10_000, "after-deny")
            + rule("r1", "no")
            + rule("r2", "later");
    try (PolicyRuntime rt = new PolicyDir(tmp).write("p.yaml", yaml).start()) {
      int running = FixedAdapter.RUNNING.get();
      long start = System.nanoTime();
      PolicyDecision d = rt.check(request());
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(d.httpStatus()).isEqualTo(401);
      assertThat(d.rule()).isEqualTo("r1");
      assertThat(took).as("check took %d ms", took).isLessThan(4000);
      // Cancelled: never started, or interrupted; not left sleeping its 10 s.
      await(
          "the moot handler cancelled",
          Duration.ofSeconds(5),
          () -> FixedAdapter.RUNNING.get() == running);
    }
  }

  @Test
  void theCallersDeadlineCapsEveryHandlerAndDoesNotCountAsAMiss() throws Exception {
    String yaml = blocking("slow", "5s", 10_000, "caller-cut") + rule("r", "slow");
    try (PolicyRuntime rt = new PolicyDir(tmp).write("p.yaml", yaml).start()) {
      for (int i = 0; i < Quarantine.MISSES + 1; i++) {
        long start = System.nanoTime();
        PolicyDecision d = rt.check(request(), start + TimeUnit.MILLISECONDS.toNanos(200));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(d.message()).contains("cut off by the caller's deadline");
        assertThat(took).as("check took %d ms", took).isLessThan(4000);
      }
      assertThat(rt.counters().quarantines()).doesNotContainKey("slow");
    }
  }

  @Test
  void aHandlerThatKeepsMissingItsDeadlineIsHeldAndNotCalled() throws Exception {
    String yaml =
        blocking("flaky", "50ms", 2_000, "held")
            + "kind: Handler\nname: open\nadapter: fixed\nfailurePolicy: open\ntimeout: 50ms\n"
            + "params: {blocking: true, sleepMs: 2000, message: held-open}\n---\n"
            + rule("r1", "open")
            + rule("r2", "flaky");
    try (PolicyRuntime rt = new PolicyDir(tmp).write("p.yaml", yaml).start()) {
      for (int i = 0; i < Quarantine.MISSES; i++) {
        assertThat(rt.check(request()).message()).contains("missed its 50ms deadline");
      }
      assertThat(rt.counters().quarantines()).containsEntry("flaky", 1L).containsEntry("open", 1L);
      assertThat(rt.status().quarantined()).containsKeys("flaky", "open");

      int calls = FixedAdapter.CALLS.get();
      PolicyDecision held = rt.check(request());
      assertThat(FixedAdapter.CALLS.get()).as("neither held handler was called").isEqualTo(calls);
      assertThat(held.handler()).isEqualTo("flaky");
      assertThat(held.message()).contains("held after missing its deadline repeatedly");
      assertThat(held.httpStatus()).isEqualTo(500);
    }
  }

  @Test
  void holdsEarnedWhileTheFirstVersionWarmsUpAreReleasedOnceItIsWarm() throws Exception {
    String yaml = blocking("cold", "50ms", 2_000, "cold") + rule("r", "cold");
    try (PolicyRuntime rt = new PolicyDir(tmp).write("p.yaml", yaml).start()) {
      rt.warmBeforeServing(
          s -> {
            // Real checks arriving while the JVM is cold miss their deadlines.
            for (int i = 0; i < Quarantine.MISSES; i++) {
              rt.check(request());
            }
            assertThat(rt.status().quarantined()).containsKey("cold");
          });
      assertThat(rt.status().quarantined()).as("warm now: no hold left").isEmpty();
      int calls = FixedAdapter.CALLS.get();
      assertThat(rt.check(request()).message()).contains("missed its 50ms deadline");
      assertThat(FixedAdapter.CALLS.get()).as("called again").isGreaterThan(calls);
    }
  }

  @Test
  void quarantineEndsAfterItsBackoffAndOneAnswerInTimeClearsIt() {
    Quarantine q = new Quarantine(Duration.ofMillis(100), Duration.ofMillis(400));
    long t = 0;
    assertThat(q.missed(t)).isFalse();
    assertThat(q.missed(t)).isFalse();
    assertThat(q.missed(t)).isTrue();
    assertThat(q.holds(t + 50_000_000L)).isTrue();
    assertThat(q.holds(t + 100_000_000L)).isFalse();
    // right after the backoff one more miss holds it again, for twice as long
    assertThat(q.missed(t + 100_000_000L)).isTrue();
    assertThat(q.remaining(t + 100_000_000L)).isEqualTo(Duration.ofMillis(200));
    q.answered();
    assertThat(q.holds(t + 150_000_000L)).isFalse();
    assertThat(q.missed(t + 150_000_000L)).isFalse();
    assertThat(q.times()).isEqualTo(2);
  }

  @Test
  void aReloadWaitsForTheRequestsOnTheOldVersionBeforeClosingItsHandlers() throws Exception {
    PolicyDir dir =
        new PolicyDir(tmp)
            .write("p.yaml", blocking("slow", "5s", 800, "drain-v1") + rule("r", "slow"));
    try (PolicyRuntime rt = dir.start()) {
      int closedWhileRunning = FixedAdapter.CLOSED_WHILE_RUNNING.get();
      int closes = FixedAdapter.CLOSES.get();
      int running = FixedAdapter.RUNNING.get();
      CompletableFuture<PolicyDecision> underWay =
          CompletableFuture.supplyAsync(() -> rt.check(request()));
      await("the slow handler running", () -> FixedAdapter.RUNNING.get() > running);

      // A changed config replaces the handler.
      dir.write("p.yaml", blocking("slow", "5s", 801, "drain-v2") + rule("r", "slow"));
      ReloadResult r = rt.reload();
      assertThat(r.swapped()).isTrue();
      assertThat(rt.check(request()).policyVersion()).isEqualTo(2);

      PolicyDecision first = underWay.get(10, TimeUnit.SECONDS);
      assertThat(first.policyVersion()).isEqualTo(1);
      assertThat(first.allowed()).as("decided by the handler it started with").isTrue();
      assertThat(rt.awaitRetired(Duration.ofSeconds(20))).isTrue();
      assertThat(FixedAdapter.CLOSED_WHILE_RUNNING.get()).isEqualTo(closedWhileRunning);
      assertThat(FixedAdapter.CLOSES.get())
          .as("the replaced handler, closed")
          .isEqualTo(closes + 1);
    }
  }

  @Test
  void aDrlRuleLoopIsCutOffAndAnsweredByTheFailurePolicy() throws Exception {
    String drl =
        """
        package t.loop
        import io.tollgate.rules.drools.Request
        import io.tollgate.rules.drools.Decision
        rule "forever"
        when
          Request()
          $o : Object()
        then
          insert(new Object());
        end
        """;
    // A deadline long enough for 10,000 firings on a loaded machine: the firing limit answers.
    PolicyDir dir = new PolicyDir(tmp).write("loop.drl", drl);
    try (PolicyRuntime rt =
        PolicyRuntime.start(new RuntimeOptions(dir.dir, null, Duration.ofSeconds(30)))) {
      PolicyDecision d = rt.check(request());
      assertThat(d.allowed()).isFalse();
      assertThat(d.httpStatus()).isEqualTo(500);
      // The firing limit threw (its reason, "without coming to rest", is in the log), well before
      // the deadline.
      assertThat(d.message()).startsWith("a handler failed (id ");
      assertThat(rt.counters().handlerFailures()).containsKey("drools");
      List<String> names = rt.status().rules();
      assertThat(names).contains(PolicySnapshot.GLOBAL_DRL_RULE);
    }
  }
}
