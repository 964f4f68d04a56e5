package io.tollgate.rules;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code EvaluationCounters} counts what goes wrong while deciding, for metrics: rule conditions or
 * header values that failed to evaluate, and handlers that failed or missed their deadline.
 * Thread-safe; kept across policy versions. Warm-up requests ({@link WarmUp}) are not counted.
 */
public final class EvaluationCounters {
  private final Map<String, LongAdder> matchErrors = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> handlerFailures = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> cacheHits = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> cacheMisses = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> quarantines = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> overrunNanos = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong stuck =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Records that a call given up on at its deadline ended {@code nanos} after it. Counted during a
   * warm-up too: the time is spent on a pool thread whatever asked for it.
   */
  public void overran(String handler, long nanos) {
    overrunNanos.computeIfAbsent(handler, k -> new LongAdder()).add(Math.max(0, nanos));
  }

  /** Handler name to the nanoseconds its calls ran past their deadline, once they ended. */
  public Map<String, Long> overruns() {
    return snapshot(overrunNanos);
  }

  /** A call given up on at its deadline is still running on its pool thread. */
  public void stuckOne() {
    stuck.incrementAndGet();
  }

  /** A call counted by {@link #stuckOne} has ended. */
  public void unstuck() {
    stuck.decrementAndGet();
  }

  /**
   * Calls given up on at their deadline that still hold a pool thread: a DRL rule that never ends
   * keeps one for good, so this is what runaway rules cost in threads.
   */
  public long stuck() {
    return stuck.get();
  }

  public void quarantined(String handler) {
    quarantines.computeIfAbsent(handler, k -> new LongAdder()).increment();
  }

  /** Handler name to the times it was held for missing its deadline repeatedly. */
  public Map<String, Long> quarantines() {
    return snapshot(quarantines);
  }

  public void cacheHit(String handler) {
    if (WarmUp.active()) {
      return;
    }
    cacheHits.computeIfAbsent(handler, k -> new LongAdder()).increment();
  }

  public void cacheMiss(String handler) {
    if (WarmUp.active()) {
      return;
    }
    cacheMisses.computeIfAbsent(handler, k -> new LongAdder()).increment();
  }

  /** Handler name to decision cache hits. */
  public Map<String, Long> cacheHits() {
    return snapshot(cacheHits);
  }

  /** Handler name to decision cache misses. */
  public Map<String, Long> cacheMisses() {
    return snapshot(cacheMisses);
  }

  public void matchError(String rule) {
    if (WarmUp.active()) {
      return;
    }
    matchErrors.computeIfAbsent(rule, k -> new LongAdder()).increment();
  }

  public void handlerFailure(String handler) {
    if (WarmUp.active()) {
      return;
    }
    handlerFailures.computeIfAbsent(handler, k -> new LongAdder()).increment();
  }

  /** Rule name to the number of evaluation errors in its condition or header values. */
  public Map<String, Long> matchErrors() {
    return snapshot(matchErrors);
  }

  /** Handler name to the number of failures and missed deadlines. */
  public Map<String, Long> handlerFailures() {
    return snapshot(handlerFailures);
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
    Map<String, Long> out = new java.util.TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
