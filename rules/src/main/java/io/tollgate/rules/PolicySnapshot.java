package io.tollgate.rules;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.ReportHandler;
import io.tollgate.adapter.spi.Template;
import io.tollgate.rules.cel.CompiledExpression;
import io.tollgate.rules.drools.DrlRuleBase;
import io.tollgate.rules.drools.DroolsHandler;
import io.tollgate.rules.rego.RegoEngine;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code PolicySnapshot} is one compiled, immutable version of a policy directory, and the Check
 * dispatcher over it.
 *
 * <p>For a request it evaluates every rule in order (files sorted by path, documents in file order,
 * then DRL packages no handler claims); for each rule whose {@code match} holds it builds the
 * rule's instances and calls its handlers. Handlers that do not block run inline; blocking ones run
 * on the runtime's pool, concurrently, each with its deadline. The results combine by these rules:
 *
 * <ul>
 *   <li>any deny wins; the first deny in rule order gives the status, message, rule and handler;
 *   <li>upstream header changes of allowing handlers and of matching rules merge in rule order;
 *   <li>response header changes merge in rule order whatever the outcome;
 *   <li>a handler that throws, or misses its deadline, denies with 500 unless its failure policy is
 *       open, in which case it allows;
 *   <li>a {@code match} that fails to evaluate (e.g. indexes a missing header) does not match;
 *   <li>no matching rule means allow.
 * </ul>
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
  private final DrlRuleBase drl;
  private final RegoEngine.Bundle rego;
  private final Object rateLimits;
  private final Map<Path, String> fingerprint;
  private final Executor blockingPool;
  private final EvaluationCounters counters;

  PolicySnapshot(
      long version,
      List<String> files,
      List<CompiledRule> rules,
      Map<String, HandlerEntry> handlers,
      DrlRuleBase drl,
      RegoEngine.Bundle rego,
      Object rateLimits,
      Map<Path, String> fingerprint,
      Executor blockingPool,
      EvaluationCounters counters) {
    this.rego = rego;
    this.rateLimits = rateLimits;
    this.version = version;
    this.loadedAt = Instant.now();
    this.files = List.copyOf(files);
    this.rules = List.copyOf(rules);
    this.reportRules = rules.stream().filter(r -> !r.reportActions().isEmpty()).toList();
    this.handlers = Map.copyOf(handlers);
    this.drl = drl;
    this.fingerprint = Map.copyOf(fingerprint);
    this.blockingPool = blockingPool;
    this.counters = counters;
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

  Map<String, HandlerEntry> handlers() {
    return handlers;
  }

  /**
   * Whether a handler of this version takes {@code quota} instances, and so needs the quota
   * cluster.
   */
  public boolean usesQuotas() {
    return handlers.values().stream().anyMatch(h -> h.templates().contains(Template.QUOTA.name()));
  }

  DrlRuleBase drl() {
    return drl;
  }

  /**
   * The rate-limit configuration of this version, as the runtime's {@link RateLimitCompiler} built
   * it, or {@code null} when the policy has none.
   */
  public Object rateLimits() {
    return rateLimits;
  }

  /** The Rego this version uploaded to OPA, or {@code null} if it has none. */
  RegoEngine.Bundle rego() {
    return rego;
  }

  Map<Path, String> fingerprint() {
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
      if (rule.match() != null && !matches(rule, attributes)) {
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

  /** Decides one request. */
  public PolicyDecision check(Attributes attributes) {
    Combiner c = new Combiner();
    List<Pending> pending = null;
    for (CompiledRule rule : rules) {
      if (!rule.checks() || (rule.match() != null && !matches(rule, attributes))) {
        continue;
      }
      for (CompiledRule.Action action : rule.actions()) {
        HandlerEntry h = action.handler();
        CheckHandler handler = h.checkHandler();
        for (CompiledInstance ci : action.instances()) {
          Instance instance = ci.build(attributes);
          DecisionCache.Key key = null;
          if (h.cache() != null) {
            key = h.cache().key(attributes, instance);
            CheckResult cached = h.cache().get(key);
            if (cached != null) {
              counters.cacheHit(h.name());
              c.add(c.reserve(), rule.name(), h, new Outcome(cached, ""));
              continue;
            }
            counters.cacheMiss(h.name());
          }
          if (handler.blocking()) {
            if (pending == null) {
              pending = new ArrayList<>();
            }
            pending.add(
                new Pending(
                    c.reserve(), rule.name(), h, submit(handler, instance, attributes), key));
          } else {
            c.add(
                c.reserve(),
                rule.name(),
                h,
                invokeInline(rule.name(), h, handler, instance, attributes, key));
          }
        }
      }
      c.addRuleHeaders(c.reserve(), rule, attributes, counters);
    }
    if (pending != null) {
      for (Pending p : pending) {
        c.add(p.slot, p.rule, p.handler, await(p));
      }
    }
    return c.decide(version);
  }

  private boolean matches(CompiledRule rule, Attributes attributes) {
    try {
      return rule.match().test(attributes);
    } catch (Exception e) {
      counters.matchError(rule.name());
      return false;
    }
  }

  private Outcome invokeInline(
      String rule,
      HandlerEntry h,
      CheckHandler handler,
      Instance instance,
      Attributes attributes,
      DecisionCache.Key cacheKey) {
    try {
      if (handler instanceof DroolsHandler d) {
        DrlRuleBase.Outcome o = d.evaluate(attributes);
        return new Outcome(o.result(), o.deniedBy());
      }
      CheckResult r = handler.check(instance, attributes);
      if (cacheKey != null) {
        h.cache().put(cacheKey, r);
      }
      return new Outcome(r, "");
    } catch (Exception | LinkageError e) {
      return failure(h, "failed: " + e);
    }
  }

  private CompletableFuture<CheckResult> submit(
      CheckHandler handler, Instance instance, Attributes attributes) {
    CompletableFuture<CheckResult> f = new CompletableFuture<>();
    try {
      blockingPool.execute(
          WarmUp.carry(
              () -> {
                try {
                  f.complete(handler.check(instance, attributes));
                } catch (Throwable t) {
                  f.completeExceptionally(t);
                }
              }));
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(e);
    }
    return f;
  }

  private Outcome await(Pending p) {
    try {
      CheckResult r = p.future.get(p.handler.timeout().toNanos(), TimeUnit.NANOSECONDS);
      if (p.cacheKey != null) {
        p.handler.cache().put(p.cacheKey, r);
      }
      return new Outcome(r, "");
    } catch (TimeoutException e) {
      p.future.cancel(true);
      return failure(p.handler, "missed its " + p.handler.timeout().toMillis() + "ms deadline");
    } catch (ExecutionException e) {
      return failure(p.handler, "failed: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failure(p.handler, "interrupted");
    }
  }

  private Outcome failure(HandlerEntry h, String what) {
    counters.handlerFailure(h.name());
    if (h.failOpen()) {
      return new Outcome(CheckResult.ok(), "");
    }
    return new Outcome(CheckResult.deny(500, "handler '" + h.name() + "' " + what), "");
  }

  private record Pending(
      int slot,
      String rule,
      HandlerEntry handler,
      CompletableFuture<CheckResult> future,
      DecisionCache.Key cacheKey) {}

  private record Outcome(CheckResult result, String drlRule) {}

  /** Merges results by the rules in the class comment. One per check, one thread. */
  private static final class Combiner {
    private int slots;
    private int denySlot = Integer.MAX_VALUE;
    private CheckResult deny;
    private String denyRule = "";
    private String denyHandler = "";
    private final List<Slotted> requestOps = new ArrayList<>(4);
    private final List<Slotted> responseOps = new ArrayList<>(4);

    private record Slotted(int slot, List<HeaderOp> ops) {}

    int reserve() {
      return slots++;
    }

    void add(int slot, String rule, HandlerEntry h, Outcome o) {
      CheckResult r = o.result();
      if (!r.allowed()) {
        if (slot < denySlot) {
          denySlot = slot;
          deny = r;
          denyRule =
              o.drlRule().isEmpty()
                  ? rule
                  : rule.isEmpty() ? o.drlRule() : rule + " > " + o.drlRule();
          denyHandler = h.name();
        }
      } else if (!r.requestHeaders().isEmpty()) {
        requestOps.add(new Slotted(slot, r.requestHeaders()));
      }
      if (!r.responseHeaders().isEmpty()) {
        responseOps.add(new Slotted(slot, r.responseHeaders()));
      }
    }

    void addRuleHeaders(int slot, CompiledRule rule, Attributes a, EvaluationCounters counters) {
      if (!rule.requestHeaders().isEmpty()) {
        requestOps.add(new Slotted(slot, render(rule, rule.requestHeaders(), a, counters)));
      }
      if (!rule.responseHeaders().isEmpty()) {
        responseOps.add(new Slotted(slot, render(rule, rule.responseHeaders(), a, counters)));
      }
    }

    private static List<HeaderOp> render(
        CompiledRule rule,
        List<CompiledRule.HeaderTemplate> ts,
        Attributes a,
        EvaluationCounters counters) {
      List<HeaderOp> out = new ArrayList<>(ts.size());
      for (CompiledRule.HeaderTemplate t : ts) {
        if (t.op() == HeaderOp.Op.REMOVE) {
          out.add(HeaderOp.remove(t.name()));
          continue;
        }
        for (CompiledExpression e : t.values()) {
          try {
            out.add(new HeaderOp(t.op(), t.name(), String.valueOf(e.eval(a))));
          } catch (Exception ex) {
            counters.matchError(rule.name());
          }
        }
      }
      return out;
    }

    PolicyDecision decide(long version) {
      List<HeaderOp> resp = flatten(responseOps);
      if (deny != null) {
        return new PolicyDecision(
            false,
            deny.httpStatus(),
            deny.message(),
            denyRule,
            denyHandler,
            List.of(),
            resp,
            version,
            deny.body());
      }
      return new PolicyDecision(true, 200, "", "", "", flatten(requestOps), resp, version);
    }

    private static List<HeaderOp> flatten(List<Slotted> s) {
      if (s.isEmpty()) {
        return List.of();
      }
      s.sort(java.util.Comparator.comparingInt(Slotted::slot));
      List<HeaderOp> out = new ArrayList<>();
      for (Slotted x : s) {
        out.addAll(x.ops());
      }
      return out;
    }
  }
}
