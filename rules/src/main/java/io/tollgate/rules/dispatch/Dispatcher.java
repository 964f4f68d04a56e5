package io.tollgate.rules.dispatch;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.common.errors.ErrorIds;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.rules.Decider;
import io.tollgate.rules.EvaluationCounters;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.rules.WarmUp;
import io.tollgate.rules.dispatch.Combiner.Outcome;
import io.tollgate.rules.engine.RuleSetHandler;
import io.tollgate.rules.snapshot.CompiledInstance;
import io.tollgate.rules.snapshot.CompiledRule;
import io.tollgate.rules.snapshot.DecisionCache;
import io.tollgate.rules.snapshot.HandlerEntry;
import io.tollgate.rules.snapshot.Quarantine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Dispatcher} runs one check over a snapshot's rules: for each rule whose {@code match}
 * holds it builds the rule's instances and calls its handlers, and the {@link Combiner} merges the
 * results.
 *
 * <p>Handlers that do not block run inline, in rule order. Blocking ones are handed to the
 * runtime's pool as the check reaches them, so they all run at once, and <b>every deadline counts
 * from the start of the check</b>: a check lasts at most its longest handler deadline, never their
 * sum, and never past the caller's deadline. Once a deny is known with no unanswered blocking
 * handler before it in rule order, the check answers without waiting for the rest, which are
 * cancelled: they could not change the status, body or rule, and the results of blocking handlers
 * after the first deny are dropped whether or not they came in time, so timing never changes an
 * answer.
 *
 * <p>Rule sets written by policy authors (DRL, {@link RuleSetHandler}) are handed to a pool of
 * their own the same way ({@link HandlerPools#ruleSets()}): Java code cannot be stopped from
 * outside, so a DRL rule that never ends can only be abandoned, and on the request thread that
 * would cost the thread. The hand-off was measured with {@code DecisionBenchmark} (see the README's
 * "Rules that run away").
 *
 * <p>A handler that throws, misses its deadline, or is {@linkplain Quarantine held} denies with 500
 * unless its failure policy is open, in which case it allows. One that misses its deadline is
 * interrupted and abandoned ({@link GuardedCall}), and after {@value Quarantine#MISSES} misses in a
 * row it is held for a backoff period. The other inline handlers (built-in adapters and plugins,
 * code the operator installed) cannot be cut off; one that keeps overrunning its deadline is held
 * by the same rule.
 *
 * <p>Thread-safe; one per snapshot.
 */
public final class Dispatcher implements Decider {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final AtomicLong lastQuarantineLog =
      new AtomicLong(System.nanoTime() - 20_000_000_000L);

  private final long version;
  private final List<CompiledRule> rules;
  private final Executor blockingPool;
  private final Executor ruleSetPool;
  private final EvaluationCounters counters;

  public Dispatcher(
      long version, List<CompiledRule> rules, HandlerPools pools, EvaluationCounters counters) {
    this.version = version;
    this.rules = rules;
    this.blockingPool = pools.blocking();
    this.ruleSetPool = pools.ruleSets();
    this.counters = counters;
  }

  /**
   * Decides one request.
   *
   * @param callerDeadline the caller's deadline as a {@link System#nanoTime()} value, or {@link
   *     Decider#NO_DEADLINE}
   */
  @Override
  public PolicyDecision check(Attributes attributes) {
    return check(attributes, NO_DEADLINE);
  }

  @Override
  public PolicyDecision check(Attributes attributes, long callerDeadline) {
    long start = System.nanoTime();
    Combiner c = new Combiner();
    List<Pending> pending = null;
    for (CompiledRule rule : rules) {
      if (!rule.checks() || !rule.matches(attributes, counters)) {
        continue;
      }
      for (CompiledRule.Action action : rule.actions()) {
        HandlerEntry h = action.handler();
        CheckHandler handler = h.checkHandler();
        for (CompiledInstance ci : action.instances()) {
          int slot = c.reserve();
          Instance instance = ci.build(attributes);
          DecisionCache.Key key = null;
          if (h.cache() != null) {
            key = h.cache().key(attributes, instance);
            CheckResult cached = h.cache().get(key);
            if (cached != null) {
              counters.cacheHit(h.name());
              c.add(slot, rule.name(), h, new Outcome(cached, ""));
              continue;
            }
            counters.cacheMiss(h.name());
          }
          if (h.quarantine().holds(start)) {
            // A cached answer above still counts; a call would not.
            c.add(
                slot, rule.name(), h, failure(h, "is held after missing its deadline repeatedly"));
            continue;
          }
          boolean ruleSet = !handler.blocking() && handler instanceof RuleSetHandler;
          if (handler.blocking() || ruleSet) {
            if (pending == null) {
              pending = new ArrayList<>();
            }
            long own = start + h.timeout().toNanos();
            long deadline =
                callerDeadline != Decider.NO_DEADLINE && callerDeadline - own < 0
                    ? callerDeadline
                    : own;
            pending.add(
                new Pending(
                    slot,
                    rule.name(),
                    h,
                    submit(h, handler, instance, attributes, ruleSet, deadline),
                    key,
                    deadline,
                    deadline != own));
          } else {
            c.add(slot, rule.name(), h, invokeInline(h, handler, instance, attributes, key));
          }
        }
      }
      c.addRuleHeaders(c.reserve(), rule, attributes, counters);
    }
    if (pending != null) {
      awaitAll(c, pending);
    }
    return c.decide(version);
  }

  /**
   * Waits for the blocking handlers, each until its own deadline (earliest first, so each is cut
   * off at its deadline), and stops early once a deny is known with no unanswered handler before
   * it. Then adds their results in slot order up to the first deny: those after it are dropped
   * whether or not they came in time, so the answer does not depend on timing.
   */
  private void awaitAll(Combiner c, List<Pending> pending) {
    int n = pending.size();
    Outcome[] got = new Outcome[n];
    Integer[] byDeadline = new Integer[n];
    for (int i = 0; i < n; i++) {
      byDeadline[i] = i;
    }
    java.util.Arrays.sort(
        byDeadline, (x, y) -> Long.compare(pending.get(x).deadline - pending.get(y).deadline, 0));
    for (int k = 0; k < n; k++) {
      if (answerKnown(c, pending, got)) {
        break;
      }
      int i = byDeadline[k];
      got[i] = await(pending.get(i));
    }
    for (int i = 0; i < n; i++) {
      Pending p = pending.get(i);
      if (got[i] == null || c.deniedBefore(p.slot)) {
        p.call.cancel();
        continue;
      }
      c.add(p.slot, p.rule, p.handler, got[i]);
    }
  }

  /** Whether a deny is known (inline, or answered) before every handler still unanswered. */
  private static boolean answerKnown(Combiner c, List<Pending> pending, Outcome[] got) {
    int firstDeny = Integer.MAX_VALUE;
    for (int i = 0; i < pending.size(); i++) {
      if (got[i] != null && !got[i].result().allowed()) {
        firstDeny = Math.min(firstDeny, pending.get(i).slot);
      }
    }
    for (int i = 0; i < pending.size(); i++) {
      int slot = pending.get(i).slot;
      if (got[i] == null && !c.deniedBefore(slot) && slot < firstDeny) {
        return false; // an unanswered handler could still give the first deny
      }
    }
    return true;
  }

  private Outcome invokeInline(
      HandlerEntry h,
      CheckHandler handler,
      Instance instance,
      Attributes attributes,
      DecisionCache.Key cacheKey) {
    long started = System.nanoTime();
    try {
      CheckResult r = handler.check(instance, attributes);
      if (cacheKey != null) {
        h.cache().put(cacheKey, r);
      }
      Outcome o = new Outcome(r, "");
      // An inline handler cannot be cut off; one that keeps overrunning its deadline is held.
      long took = System.nanoTime() - started;
      if (took > h.timeout().toNanos()) {
        missed(h, started + took);
      } else if (!WarmUp.active()) {
        h.quarantine().answered();
      }
      return o;
    } catch (Exception | LinkageError e) {
      return failed(h, e);
    }
  }

  /**
   * Hands a call to its pool: a blocking handler's to the blocking pool, a rule set's (DRL) to the
   * rule-set pool. A call the pool refuses fails at once.
   */
  private GuardedCall submit(
      HandlerEntry h,
      CheckHandler handler,
      Instance instance,
      Attributes attributes,
      boolean ruleSet,
      long deadline) {
    java.util.concurrent.Callable<Outcome> body =
        ruleSet
            ? () -> {
              RuleSetHandler.Verdict v = ((RuleSetHandler) handler).decide(attributes);
              return new Outcome(v.result(), v.deniedBy());
            }
            : () -> new Outcome(handler.check(instance, attributes), "");
    GuardedCall call = new GuardedCall(WarmUp.carryCall(body), h.name(), counters, deadline);
    try {
      (ruleSet ? ruleSetPool : blockingPool).execute(call.task());
    } catch (RejectedExecutionException e) {
      GuardedCall refused =
          new GuardedCall(
              () -> {
                throw new RejectedExecutionException(
                    "the pool for "
                        + (ruleSet ? "DRL" : "blocking handlers")
                        + " is full ("
                        + e.getMessage()
                        + ")");
              },
              h.name(),
              counters,
              deadline);
      refused.task().run();
      return refused;
    }
    return call;
  }

  private Outcome await(Pending p) {
    HandlerEntry h = p.handler;
    try {
      FutureTask<Outcome> task = p.call.task();
      long left = p.deadline - System.nanoTime();
      Outcome o =
          left > 0 ? task.get(left, TimeUnit.NANOSECONDS) : task.isDone() ? task.get() : null;
      if (o == null) {
        throw new TimeoutException();
      }
      if (!WarmUp.active()) {
        h.quarantine().answered();
      }
      if (p.cacheKey != null) {
        h.cache().put(p.cacheKey, o.result());
      }
      return o;
    } catch (TimeoutException e) {
      p.call.abandon();
      if (p.callerCut) {
        return failure(h, "was cut off by the caller's deadline");
      }
      missed(h, System.nanoTime());
      return failure(h, "missed its " + h.timeout().toMillis() + "ms deadline");
    } catch (ExecutionException e) {
      FatalErrors.reportIfFatal("handler " + h.name(), e.getCause());
      return failed(h, e.getCause());
    } catch (CancellationException e) {
      return failure(h, "was cancelled");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.call.cancel();
      return failure(h, "interrupted");
    }
  }

  private void missed(HandlerEntry h, long now) {
    if (WarmUp.active()) {
      return; // a warm-up's calls say nothing about how the handler serves
    }
    if (h.quarantine().missed(now)) {
      counters.quarantined(h.name());
      long last = lastQuarantineLog.get();
      if (now - last > 10_000_000_000L && lastQuarantineLog.compareAndSet(last, now)) {
        log.warn(
            "handler '{}' missed its {} ms deadline {} times in a row: held for {} s, its failure"
                + " policy answers meanwhile (logged at most every 10 s; counted in"
                + " tollgate_handler_quarantines_total)",
            h.name(),
            h.timeout().toMillis(),
            Quarantine.MISSES,
            h.quarantine().remaining(now).toSeconds());
      }
    }
  }

  /**
   * A handler that threw: its exception goes to the log under an id, and the answer names only the
   * id, since an exception's text (a DRL {@code NullPointerException}, a parser's message) tells
   * the client about the server's insides.
   */
  private Outcome failed(HandlerEntry h, Throwable e) {
    String id = ErrorIds.next();
    log.warn("handler '{}' failed (id {})", h.name(), id, e);
    return failure(h, "failed (id " + id + "); the server log has the details");
  }

  private Outcome failure(HandlerEntry h, String what) {
    counters.handlerFailure(h.name());
    if (h.failOpen()) {
      return new Outcome(CheckResult.ok(), "");
    }
    // The message reaches the client: it names no handler (the decision carries the name, shown
    // with --reveal-rule and in the decision log).
    return new Outcome(CheckResult.deny(500, "a handler " + what), "");
  }

  /**
   * A call handed to a pool, under way.
   *
   * @param deadline when its answer is due ({@code System.nanoTime()})
   * @param callerCut whether that is the caller's deadline, before the handler's own
   */
  private record Pending(
      int slot,
      String rule,
      HandlerEntry handler,
      GuardedCall call,
      DecisionCache.Key cacheKey,
      long deadline,
      boolean callerCut) {}
}
