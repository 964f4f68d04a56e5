package io.tollgate.server.ratelimit;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** {@code RateLimitMetrics} counts rate-limit decisions per domain and limit. Thread-safe. */
public final class RateLimitMetrics {
  private final Counter decisions;
  private final Counter failures;

  public RateLimitMetrics(PrometheusRegistry registry) {
    decisions = Counter.builder()
        .name("tollgate_ratelimit_decisions_total")
        .help("Rate-limited descriptors decided, by domain, limit name and result "
            + "(admitted, rejected, shadow_rejected: over the limit in shadow mode, answered OK)")
        .labelNames("domain", "limit", "result")
        .register(registry);
    failures = Counter.builder()
        .name("tollgate_ratelimit_failures_total")
        .help("Descriptors the quota cluster could not decide (answered OK: failure mode allow)")
        .labelNames("domain")
        .register(registry);
  }

  void decided(String domain, String limit, boolean admitted, boolean shadow) {
    decisions.labelValues(domain, limit, admitted ? "admitted" : shadow ? "shadow_rejected" : "rejected").inc();
  }

  void failed(String domain) {
    failures.labelValues(domain).inc();
  }
}
