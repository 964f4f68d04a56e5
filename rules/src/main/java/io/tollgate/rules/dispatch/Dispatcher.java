package io.tollgate.rules.dispatch;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Instance;
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
 * <p>A handler that throws, misses its deadline, or is {@linkplain Quarantine held} denies with 500
 * unless its failure policy is open, in which case it allows. One that misses its deadline is
 * interrupted, and after {@value Quarantine#MISSES} misses in a row it is held for a backoff
 * period. Inline handlers (DRL) cannot be cut off; a DRL evaluation is bounded in rule firings
 * ({@code DrlRuleBase.MAX_FIRINGS}) and held by the same rule when it overruns its deadline.
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
  private final EvaluationCounters counters;

  public Dispatcher(
      long version, List<CompiledRule> rules, Executor blockingPool, EvaluationCounters counters) {
    this.version = version;
    this.rules = rules;
    this.blockingPool = blockingPool;
    this.counters = counters;
  }

  /**
   * The pool blocking handlers run on: bounded in threads (4 per core) and in queued calls (1,024);
   * a call it refuses gets its handler's failure policy.
   */
  public static java.util.concurrent.ThreadPoolExecutor newBlockingPool() {
    int cores = Runtime.getRuntime().availableProcessors();
    java.util.concurrent.ThreadPoolExecutor pool =
        new java.util.concurrent.ThreadPoolExecutor(
            cores * 4,
            cores * 4,
            60,
            TimeUnit.SECONDS,
            new java.util.concurrent.ArrayBlockingQueue<>(1024),
            r -> {
              Thread t = new Thread(r, "tollgate-handler");
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
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
          if (handler.blocking()) {
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
                    submit(handler, instance, attributes),
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
        p.task.cancel(true);
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
      Outcome o;
      if (handler instanceof RuleSetHandler set) {
        RuleSetHandler.Verdict v = set.decide(attributes);
        o = new Outcome(v.result(), v.deniedBy());
      } else {
        CheckResult r = handler.check(instance, attributes);
        if (cacheKey != null) {
          h.cache().put(cacheKey, r);
        }
        o = new Outcome(r, "");
      }
      // An inline handler cannot be cut off; one that keeps overrunning its deadline is held.
      long took = System.nanoTime() - started;
      if (took > h.timeout().toNanos()) {
        missed(h, started + took);
      } else if (!WarmUp.active()) {
        h.quarantine().answered();
      }
      return o;
    } catch (Exception | LinkageError e) {
      return failure(h, "failed: " + e);
    }
  }

  /**
   * Runs a blocking handler on the pool. A {@link FutureTask}, so that cancelling it interrupts the
   * thread running it.
   */
  private FutureTask<CheckResult> submit(
      CheckHandler handler, Instance instance, Attributes attributes) {
    FutureTask<CheckResult> task =
        new FutureTask<>(WarmUp.carryCall(() -> handler.check(instance, attributes)));
    try {
      blockingPool.execute(task);
    } catch (RejectedExecutionException e) {
      FutureTask<CheckResult> refused =
          new FutureTask<>(
              () -> {
                throw new RejectedExecutionException(
                    "the pool for blocking handlers is full (" + e.getMessage() + ")");
              });
      refused.run();
      return refused;
    }
    return task;
  }

  private Outcome await(Pending p) {
    HandlerEntry h = p.handler;
    try {
      long left = p.deadline - System.nanoTime();
      CheckResult r =
          left > 0 ? p.task.get(left, TimeUnit.NANOSECONDS) : p.task.isDone() ? p.task.get() : null;
      if (r == null) {
        throw new TimeoutException();
      }
      if (!WarmUp.active()) {
        h.quarantine().answered();
      }
      if (p.cacheKey != null) {
        h.cache().put(p.cacheKey, r);
      }
      return new Outcome(r, "");
    } catch (TimeoutException e) {
      p.task.cancel(true);
      if (p.callerCut) {
        return failure(h, "was cut off by the caller's deadline");
      }
      missed(h, System.nanoTime());
      return failure(h, "missed its " + h.timeout().toMillis() + "ms deadline");
    } catch (ExecutionException e) {
      FatalErrors.reportIfFatal("handler " + h.name(), e.getCause());
      return failure(h, "failed: " + e.getCause());
    } catch (CancellationException e) {
      return failure(h, "was cancelled");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.task.cancel(true);
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

  private Outcome failure(HandlerEntry h, String what) {
    counters.handlerFailure(h.name());
    if (h.failOpen()) {
      return new Outcome(CheckResult.ok(), "");
    }
    return new Outcome(CheckResult.deny(500, "handler '" + h.name() + "' " + what), "");
  }

  /**
   * A blocking handler call under way.
   *
   * @param deadline when its answer is due ({@code System.nanoTime()})
   * @param callerCut whether that is the caller's deadline, before the handler's own
   */
  private record Pending(
      int slot,
      String rule,
      HandlerEntry handler,
      FutureTask<CheckResult> task,
      DecisionCache.Key cacheKey,
      long deadline,
      boolean callerCut) {}
}
