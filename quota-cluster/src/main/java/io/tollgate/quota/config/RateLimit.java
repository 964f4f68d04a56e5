package io.tollgate.quota.config;

import io.tollgate.adapter.spi.Quotas;
import java.util.List;

/**
 * {@code RateLimit} is the {@code rate_limit} of a descriptor.
 *
 * @param name the limit's name, for {@code replaces} and metrics; empty if none
 * @param unit the window; {@code null} when unlimited
 * @param requestsPerUnit hits admitted per window; 0 when unlimited
 * @param unlimited whether the descriptor is explicitly not limited
 * @param replaces names of limits this one replaces when both apply to a request
 * @param mode how exactly the cluster keeps it ({@code mode: strict|fast}, a Tollgate extension;
 *     strict unless said)
 */
public record RateLimit(
    String name,
    RateLimitUnit unit,
    long requestsPerUnit,
    boolean unlimited,
    List<String> replaces,
    Quotas.Mode mode) {
  public RateLimit {
    name = name == null ? "" : name;
    replaces = List.copyOf(replaces);
    mode = mode == null ? Quotas.Mode.STRICT : mode;
  }
}
