package io.tollgate.server.ratelimit;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.tollgate.adapter.spi.Quotas;

/** {@code RateLimitMetrics} counts rate-limit decisions per domain and limit. Thread-safe. */
public final class RateLimitMetrics {
  private final Counter decisions;
  private final Counter failures;
  private final Histogram latency;

  public RateLimitMetrics(PrometheusRegistry registry) {
    decisions =
        Counter.builder()
            .name("tollgate_ratelimit_decisions_total")
            .help(
                "Rate-limited descriptors decided, by domain, limit name and result "
                    + "(admitted, rejected, shadow_rejected: over the limit in shadow mode, answered OK)")
            .labelNames("domain", "limit", "result")
            .register(registry);
    failures =
        Counter.builder()
            .name("tollgate_ratelimit_failures_total")
            .help(
                "Descriptors the quota cluster could not decide, by domain and the answer the failure mode gave (ok, over_limit)")
            .labelNames("domain", "answer")
            .register(registry);
    latency =
        Histogram.builder()
            .name("tollgate_ratelimit_quota_duration_seconds")
            .help("Time the quota cluster took to decide one descriptor, by mode (strict, fast)")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5)
            .labelNames("mode")
            .register(registry);
  }

  void decided(String domain, String limit, boolean admitted, boolean shadow) {
    decisions
        .labelValues(domain, limit, admitted ? "admitted" : shadow ? "shadow_rejected" : "rejected")
        .inc();
  }

  void failed(String domain, boolean deny) {
    failures.labelValues(domain, deny ? "over_limit" : "ok").inc();
  }

  void timed(Quotas.Mode mode, long nanos) {
    latency.labelValues(mode == Quotas.Mode.FAST ? "fast" : "strict").observe(nanos / 1e9);
  }
}
