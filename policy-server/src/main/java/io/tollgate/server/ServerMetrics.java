package io.tollgate.server;

import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.rules.EvaluationCounters;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.ReloadResult;
import io.tollgate.rules.rego.RegoEngine;

/**
 * {@code ServerMetrics} owns the server's Prometheus registry and every {@code tollgate_*} metric.
 * A registry per server (not the global default) keeps servers in one JVM, as in tests, apart.
 * Thread-safe.
 */
public final class ServerMetrics {
  private static final double[] LATENCY_BUCKETS = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1
  };

  private final PrometheusRegistry registry;
  private final Counter checks;
  private final Counter checkErrors;
  private final Counter reloads;
  private final Gauge version;
  private final Gauge lastSuccess;
  private final DistributionDataPoint grpcLatency;
  private final DistributionDataPoint httpLatency;

  private final Histogram opaLatency;
  private final Counter opaFailures;

  public ServerMetrics(PolicyRuntime runtime) {
    this(runtime, new PrometheusRegistry());
  }

  /**
   * Registers Tollgate's metrics on {@code registry}, which the policy's prometheus handlers share.
   */
  public ServerMetrics(PolicyRuntime runtime, PrometheusRegistry registry) {
    this.registry = registry;
    EvaluationCounters evaluation = runtime.counters();
    checks =
        Counter.builder()
            .name("tollgate_checks_total")
            .help(
                "Checks decided, by transport, decision and the rule that denied (empty when allowed)")
            .labelNames("transport", "decision", "rule")
            .register(registry);
    checkErrors =
        Counter.builder()
            .name("tollgate_check_errors_total")
            .help(
                "Check calls that failed without a decision (malformed requests, internal errors)")
            .labelNames("transport")
            .register(registry);
    Histogram latency =
        Histogram.builder()
            .name("tollgate_check_duration_seconds")
            .help("Time to decide a check, from request received to response ready")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .labelNames("transport")
            .register(registry);
    grpcLatency = latency.labelValues("grpc");
    httpLatency = latency.labelValues("http");
    reloads =
        Counter.builder()
            .name("tollgate_policy_reloads_total")
            .help("Policy compile attempts, by result (success swaps the serving version)")
            .labelNames("result")
            .register(registry);
    version =
        Gauge.builder()
            .name("tollgate_policy_version")
            .help("The version of the policy that is serving (0 before the first)")
            .register(registry);
    lastSuccess =
        Gauge.builder()
            .name("tollgate_policy_last_reload_success_timestamp_seconds")
            .help("When the serving policy version was swapped in")
            .unit(Unit.SECONDS)
            .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_rule_errors_total")
        .help("Rule conditions and header values that failed to evaluate (the rule did not match)")
        .labelNames("rule")
        .callback(cb -> evaluation.matchErrors().forEach((rule, n) -> cb.call(n, rule)))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_handler_failures_total")
        .help("Handler calls that threw or missed their deadline (the failure policy decided)")
        .labelNames("handler")
        .callback(cb -> evaluation.handlerFailures().forEach((h, n) -> cb.call(n, h)))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_handler_quarantines_total")
        .help(
            "Times a handler was held for missing its deadline repeatedly (its failure policy"
                + " answered without calling it for a backoff period)")
        .labelNames("handler")
        .callback(cb -> evaluation.quarantines().forEach((h, n) -> cb.call(n, h)))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_handler_overrun_seconds_total")
        .help(
            "Time calls given up on at their deadline (a DRL rule that ran away, a Rego call) went"
                + " on running on their pool thread, counted when they end")
        .unit(Unit.SECONDS)
        .labelNames("handler")
        .callback(cb -> evaluation.overruns().forEach((h, nanos) -> cb.call(nanos / 1e9, h)))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_handler_calls_stuck")
        .help(
            "Calls given up on at their deadline that still hold a pool thread (a DRL rule that"
                + " never ends holds one for good)")
        .callback(cb -> cb.call(evaluation.stuck()))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_decision_cache_hits_total")
        .help("Handler results served from a decision cache")
        .labelNames("handler")
        .callback(cb -> evaluation.cacheHits().forEach((h, n) -> cb.call(n, h)))
        .register(registry);
    CounterWithCallback.builder()
        .name("tollgate_decision_cache_misses_total")
        .help("Handler calls a decision cache could not answer")
        .labelNames("handler")
        .callback(cb -> evaluation.cacheMisses().forEach((h, n) -> cb.call(n, h)))
        .register(registry);
    opaLatency =
        Histogram.builder()
            .name("tollgate_opa_query_duration_seconds")
            .help("OPA decision queries that reached OPA, by outcome (ok, undefined, error)")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .labelNames("outcome")
            .register(registry);
    opaFailures =
        Counter.builder()
            .name("tollgate_opa_query_failures_total")
            .help(
                "OPA queries that failed (error) or were not sent (rejected: breaker open or OPA not in step)")
            .labelNames("reason")
            .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_opa_circuit_breaker_state")
        .help("The OPA circuit breaker: 0 closed, 1 open (queries fail at once), 2 half-open")
        .callback(
            cb -> {
              RegoEngine e = runtime.regoEngineIfStarted();
              cb.call(e == null ? 0 : e.breakerState().ordinal());
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_opa_ready")
        .help("1 when OPA holds the serving Rego (or no Rego serves), else 0")
        .callback(
            cb -> {
              RegoEngine e = runtime.regoEngineIfStarted();
              cb.call(e == null || e.notReadyReason().isEmpty() ? 1 : 0);
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_fatal_error")
        .help(
            "1 once the process has hit a fatal error (out of memory, a dead internal thread; /healthz"
                + " says which), else 0")
        .callback(cb -> cb.call(FatalErrors.reason().isPresent() ? 1 : 0))
        .register(registry);
    JvmMetrics.builder().register(registry);
  }

  /** Records one OPA query, as {@link RegoEngine.Observer}. */
  public void opaQueried(long nanos, String outcome) {
    switch (outcome) {
      case "rejected" -> opaFailures.labelValues("rejected").inc();
      case "error" -> {
        opaFailures.labelValues("error").inc();
        opaLatency.labelValues(outcome).observe(nanos / 1e9);
      }
      default -> opaLatency.labelValues(outcome).observe(nanos / 1e9);
    }
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  /** Counts a decision and its latency. */
  public void decided(String transport, PolicyDecision d, long nanos) {
    checks
        .labelValues(transport, d.allowed() ? "allow" : "deny", d.allowed() ? "" : d.rule())
        .inc();
    (transport.equals("grpc") ? grpcLatency : httpLatency).observe(nanos / 1e9);
  }

  /** Counts a check that got no decision. */
  public void failed(String transport) {
    checkErrors.labelValues(transport).inc();
  }

  /** Records the version that serves after the first load. */
  public void serving(long v) {
    version.set(v);
    lastSuccess.set(System.currentTimeMillis() / 1000.0);
  }

  /** Records a reload attempt. */
  public void reloaded(ReloadResult r) {
    reloads.labelValues(r.swapped() ? "success" : "failure").inc();
    version.set(r.version());
    if (r.swapped()) {
      lastSuccess.set(System.currentTimeMillis() / 1000.0);
    }
  }
}
