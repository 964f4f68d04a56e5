package io.tollgate.server;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.rules.PolicyDecision;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code RecentDecisions} keeps what the dashboard shows of the check path: allowed and denied
 * decisions per rule since start, and the last {@value #KEEP} denials with the rule that denied
 * them. Memory is bounded (at most {@value #MAX_RULES} rules are counted apart). Thread-safe.
 */
public final class RecentDecisions {
  static final int KEEP = 50;
  static final int MAX_RULES = 500;
  static final String OTHER = "(other rules)";
  static final String NO_RULE = "(no rule)";

  /** One denial as shown; {@code at} in ISO-8601. */
  public record Denial(
      String at,
      String transport,
      String rule,
      String handler,
      int status,
      String message,
      String method,
      String path,
      String source) {}

  /** Decisions of one rule. */
  public record RuleCount(String rule, long allowed, long denied) {}

  private final Map<String, LongAdder[]> byRule = new ConcurrentHashMap<>();
  private final Deque<Denial> denials = new ArrayDeque<>();

  public void record(String transport, Attributes a, PolicyDecision d) {
    String rule = d.rule().isEmpty() ? NO_RULE : d.rule();
    LongAdder[] c = byRule.get(rule);
    if (c == null) {
      String key = byRule.size() >= MAX_RULES ? OTHER : rule;
      c = byRule.computeIfAbsent(key, k -> new LongAdder[] {new LongAdder(), new LongAdder()});
    }
    c[d.allowed() ? 0 : 1].increment();
    if (!d.allowed()) {
      Object principal = a.get(Vocabulary.SOURCE_PRINCIPAL);
      Object ip = a.get(Vocabulary.SOURCE_IP);
      Denial x =
          new Denial(
              Instant.now().toString(),
              transport,
              rule,
              d.handler(),
              d.httpStatus(),
              cut(d.message()),
              cut(text(a.get(Vocabulary.REQUEST_METHOD))),
              cut(text(a.get(Vocabulary.REQUEST_PATH))),
              cut(
                  principal != null && !principal.toString().isEmpty()
                      ? principal.toString()
                      : ip == null ? "" : ip.toString()));
      synchronized (denials) {
        if (denials.size() == KEEP) {
          denials.removeLast();
        }
        denials.addFirst(x);
      }
    }
  }

  /**
   * The JSON of {@code /api/decisions}: counts per rule (busiest first) and recent denials (newest
   * first).
   */
  public Map<String, Object> report() {
    List<RuleCount> rules = new ArrayList<>();
    byRule.forEach((r, c) -> rules.add(new RuleCount(r, c[0].sum(), c[1].sum())));
    rules.sort(Comparator.comparingLong((RuleCount r) -> r.allowed() + r.denied()).reversed());
    List<Denial> recent;
    synchronized (denials) {
      recent = List.copyOf(denials);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rules", rules);
    m.put("recentDenials", recent);
    return m;
  }

  private static String text(Object o) {
    return o == null ? "" : o.toString();
  }

  private static String cut(String s) {
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}
