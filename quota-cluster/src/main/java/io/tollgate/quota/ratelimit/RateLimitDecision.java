package io.tollgate.quota.ratelimit;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.config.RateLimit;
import java.util.List;

/**
 * {@code RateLimitDecision} is the answer to one rate-limit request: a status per descriptor, in
 * the request's order, and the response headers for the client.
 *
 * @param statuses one per descriptor of the request, in its order
 * @param headers the {@code RateLimit-Limit}, {@code RateLimit-Remaining} and {@code
 *     RateLimit-Reset} headers, in that order; empty when they are off or no limit was decided
 */
public record RateLimitDecision(List<DescriptorStatus> statuses, List<Header> headers) {
  public RateLimitDecision {
    statuses = List.copyOf(statuses);
    headers = List.copyOf(headers);
  }

  /** Whether the request is over the limit: when any of its descriptors is. */
  public boolean overLimit() {
    return statuses.stream().anyMatch(DescriptorStatus::overLimit);
  }

  /**
   * The answer for one descriptor.
   *
   * @param overLimit whether it is answered OVER_LIMIT (else OK)
   * @param limit the limit applied to it; {@code null} when none applies (no match, {@code
   *     unlimited}, or replaced by another matched limit)
   * @param quota the quota cluster's answer, with the hits left and the time until the window ends;
   *     {@code null} when no limit applies or the cluster could not decide
   * @param shadowRejected whether it is over its limit in shadow mode, and so answered OK
   */
  public record DescriptorStatus(
      boolean overLimit, RateLimit limit, Quotas.Decision quota, boolean shadowRejected) {
    /** A descriptor no limit applies to: OK. */
    public static final DescriptorStatus NOT_LIMITED =
        new DescriptorStatus(false, null, null, false);

    /** Whether a limit applied and the quota cluster could not decide it. */
    public boolean failed() {
      return limit != null && quota == null;
    }
  }

  /** A response header for Envoy to add to the client's response. */
  public record Header(String name, String value) {}
}
