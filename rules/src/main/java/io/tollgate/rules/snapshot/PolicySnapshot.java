package io.tollgate.rules.snapshot;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.ReportHandler;
import io.tollgate.adapter.spi.Template;
import io.tollgate.rules.Decider;
import io.tollgate.rules.EvaluationCounters;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.rules.cel.CompiledExpression;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code PolicySnapshot} is one compiled, immutable version of a policy directory: its rules (files
 * sorted by path, documents in file order, then each policy engine's rule for every request),
 * handlers, what each policy engine prepared (a DRL rule base, a Rego bundle) and the rate-limit
 * configuration.
 *
 * <p>It decides a request through the dispatcher the compiler gave it ({@code
 * rules.dispatch.Dispatcher}: how handlers are called, with one deadline per check, and how their
 * results merge). A {@code match} that fails to evaluate (e.g. indexes a missing header) does not
 * match; no matching rule means allow. It counts the requests under way on it, so that a replaced
 * version's handlers are closed only once they have finished ({@code PolicyRuntime}).
 *
 * <p>Thread-safe. Nothing on the check path compiles or does I/O itself.
 */
public final class PolicySnapshot {
  private final long version;
  private final Instant loadedAt;
  private final List<String> files;
  private final List<CompiledRule> rules;
  private final List<CompiledRule> reportRules;
  private final java.util.concurrent.atomic.AtomicLong lastReportFailureLog =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - 20_000_000_000L);
  private final Map<String, HandlerEntry> handlers;
  private final Map<String, PreparedPolicy> prepared;
  private final Object rateLimits;
  private final Map<Path, String> fingerprint;
  private final EvaluationCounters counters;
  private final Decider dispatcher;
  private final LongAdder inFlight = new LongAdder();
  private volatile boolean retired;

  public PolicySnapshot(
      long version,
      List<String> files,
      List<CompiledRule> rules,
      Map<String, HandlerEntry> handlers,
      Map<String, PreparedPolicy> prepared,
      Object rateLimits,
      Map<Path, String> fingerprint,
      Decider dispatcher,
      EvaluationCounters counters) {
    this.prepared = Map.copyOf(prepared);
    this.rateLimits = rateLimits;
    this.version = version;
    this.loadedAt = Instant.now();
    this.files = List.copyOf(files);
    this.rules = List.copyOf(rules);
    this.reportRules = rules.stream().filter(r -> !r.reportActions().isEmpty()).toList();
    this.handlers = Map.copyOf(handlers);
    this.fingerprint = Map.copyOf(fingerprint);
    this.counters = counters;
    this.dispatcher = dispatcher;
  }

  /** The version, counting from 1 for the first snapshot a runtime serves. */
  public long version() {
    return version;
  }

  public Instant loadedAt() {
    return loadedAt;
  }

  /** Files it was built from, relative to the policy directory. */
  public List<String> files() {
    return files;
  }

  /** How the implicit rule that runs unclaimed DRL packages for every request is listed. */
  public static final String GLOBAL_DRL_RULE = "(global DRL packages)";

  /** Rule names in evaluation order. */
  public List<String> ruleNames() {
    return rules.stream().map(r -> r.name().isEmpty() ? GLOBAL_DRL_RULE : r.name()).toList();
  }

  /**
   * Requests, as string attributes, that get past the simple conjuncts of each checking rule's
   * {@code match} ({@link CompiledExpression#examples()}): up to four per rule, taking each listed
   * value in turn. Requests built from them reach the rules' handlers, which is what a warm-up
   * needs; rules without such conjuncts are reached by any request and give none.
   */
  public List<Map<String, String>> ruleExamples() {
    List<Map<String, String>> out = new ArrayList<>();
    for (CompiledRule rule : rules) {
      if (!rule.checks() || rule.match() == null) {
        continue;
      }
      Map<String, List<String>> ex = rule.match().examples();
      int n = Math.min(4, ex.values().stream().mapToInt(List::size).max().orElse(0));
      for (int i = 0; i < n; i++) {
        Map<String, String> one = new java.util.LinkedHashMap<>();
        int k = i;
        ex.forEach((name, values) -> one.put(name, values.get(k % values.size())));
        out.add(one);
      }
    }
    return out;
  }

  /** Handler name to adapter name. */
  public Map<String, String> handlerAdapters() {
    Map<String, String> m = new java.util.TreeMap<>();
    handlers.forEach((k, v) -> m.put(k, v.adapter()));
    return m;
  }

  public Map<String, HandlerEntry> handlers() {
    return handlers;
  }

  /**
   * Whether a handler of this version takes {@code quota} instances, and so needs the quota
   * cluster.
   */
  public boolean usesQuotas() {
    return handlers.values().stream().anyMatch(h -> h.templates().contains(Template.QUOTA.name()));
  }

  /**
   * What each policy engine prepared for this version, by engine; none for engines without files.
   */
  public Map<String, PreparedPolicy> prepared() {
    return prepared;
  }

  /** Whether this version has a rate-limit configuration. */
  public boolean hasRateLimits() {
    return rateLimits != null;
  }

  /**
   * The rate-limit configuration of this version, as the runtime's {@link RateLimitCompiler} built
   * it; {@code null} when the policy has none, or it is not a {@code type}.
   */
  public <T> T rateLimits(Class<T> type) {
    return type.isInstance(rateLimits) ? type.cast(rateLimits) : null;
  }

  public Map<Path, String> fingerprint() {
    return fingerprint;
  }

  /**
   * Reports one finished request: every rule with report actions whose match holds sends its metric
   * and logentry instances to its report handlers, here and now. A failing handler is counted and
   * loses only its instance. Returns the number of instances recorded.
   */
  public int report(Attributes attributes) {
    int recorded = 0;
    for (CompiledRule rule : reportRules) {
      if (!rule.matches(attributes, counters)) {
        continue;
      }
      for (CompiledRule.Action action : rule.reportActions()) {
        ReportHandler handler = (ReportHandler) action.handler().handler();
        for (CompiledInstance ci : action.instances()) {
          try {
            handler.report(ci.build(attributes), attributes);
            recorded++;
          } catch (Exception | LinkageError e) {
            counters.handlerFailure(action.handler().name());
            reportFailure(action.handler().name(), e);
          }
        }
      }
    }
    return recorded;
  }

  private void reportFailure(String handler, Throwable e) {
    long now = System.nanoTime();
    long last = lastReportFailureLog.get();
    if (now - last > 10_000_000_000L && lastReportFailureLog.compareAndSet(last, now)) {
      org.slf4j.LoggerFactory.getLogger(PolicySnapshot.class)
          .warn(
              "report handler '{}' failed (logged at most every 10s; counted in tollgate_handler_failures_total): {}",
              handler,
              e.toString());
    }
  }

  /** Decides one request, bounded by the handlers' deadlines. */
  public PolicyDecision check(Attributes attributes) {
    return dispatcher.check(attributes, Decider.NO_DEADLINE);
  }

  /**
   * Decides one request, no handler waiting past {@code callerDeadline} (a {@link
   * System#nanoTime()} value, or {@link Decider#NO_DEADLINE}).
   */
  public PolicyDecision check(Attributes attributes, long callerDeadline) {
    return dispatcher.check(attributes, callerDeadline);
  }

  /**
   * Counts a request that starts on this version; {@code false} (and nothing counted) once the
   * version is retired, when the caller must take the serving one instead.
   */
  public boolean enter() {
    inFlight.increment();
    if (retired) {
      inFlight.decrement();
      return false;
    }
    return true;
  }

  /** Counts a request that {@link #enter entered} as finished. */
  public void exit() {
    inFlight.decrement();
  }

  /** Marks this version replaced: from now on no request enters it. */
  public void retire() {
    retired = true;
  }

  /** Requests that entered and have not finished. */
  public long inFlight() {
    return inFlight.sum();
  }

  /** Handler name to how long it stays held for missing deadlines, for those held now. */
  public Map<String, java.time.Duration> quarantined() {
    long now = System.nanoTime();
    Map<String, java.time.Duration> m = new java.util.TreeMap<>();
    handlers.forEach(
        (name, h) -> {
          java.time.Duration left = h.quarantine().remaining(now);
          if (!left.isZero()) {
            m.put(name, left);
          }
        });
    return m;
  }
}
