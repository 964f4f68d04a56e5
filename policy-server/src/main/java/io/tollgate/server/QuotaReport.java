package io.tollgate.server;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.QuotaUsage;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.server.quota.QuotaConnection;
import io.tollgate.server.ratelimit.RateLimitService;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code QuotaReport} is the admin server's {@code /api/quotas}: the quota cluster as this server
 * sees it, and every limit's usage here.
 */
final class QuotaReport {
  private final QuotaConnection quotas;
  private final QuotaUsage usage;
  private final PolicyRuntime runtime;

  QuotaReport(QuotaConnection quotas, QuotaUsage usage, PolicyRuntime runtime) {
    this.quotas = quotas;
    this.usage = usage;
    this.runtime = runtime;
  }

  Map<String, Object> report() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cluster", quotas.report());
    m.put("limits", usage.snapshot(10, this::remaining, RateLimitService::displayKey));
    m.put("policyVersion", runtime.status().version());
    m.put(
        "lastReloadErrors", runtime.status().lastErrors().stream().map(Object::toString).toList());
    return m;
  }

  /** The hits left in a bucket, for the dashboard; {@code null} when the cluster cannot say now. */
  private Long remaining(String bucketKey, Quotas.Limit limit) {
    if (!quotas.isOpen() || !quotas.notReadyReason().isEmpty()) {
      return null;
    }
    try {
      return quotas.tryConsume(bucketKey, limit, 0).remaining();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
