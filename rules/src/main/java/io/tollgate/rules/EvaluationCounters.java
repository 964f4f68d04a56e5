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
