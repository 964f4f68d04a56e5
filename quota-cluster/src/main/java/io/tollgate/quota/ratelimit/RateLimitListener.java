package io.tollgate.quota.ratelimit;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.config.DescriptorMatcher;

/**
 * {@code RateLimitListener} hears of each limit a {@link RateLimiter} applies, for metrics and
 * logs. Its methods are called on the deciding thread, concurrently; they must be thread-safe and
 * quick. The defaults do nothing.
 */
public interface RateLimitListener {
  /**
   * The quota cluster decided {@code match}'s limit in {@code domain} in {@code nanos}.
   *
   * @param decision the cluster's answer; over the limit in shadow mode is answered OK all the same
   */
  default void decided(
      String domain, DescriptorMatcher.Match match, Quotas.Decision decision, long nanos) {}

  /**
   * The quota cluster could not decide {@code match}'s limit in {@code domain}.
   *
   * @param deny the failure mode's answer: OVER_LIMIT ({@code true}) or OK
   * @param cause why
   */
  default void failed(
      String domain, DescriptorMatcher.Match match, boolean deny, RuntimeException cause) {}

  /** A listener that does nothing. */
  RateLimitListener NONE = new RateLimitListener() {};
}
