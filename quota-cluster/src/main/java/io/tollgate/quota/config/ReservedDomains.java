package io.tollgate.quota.config;

import io.tollgate.adapter.spi.Quotas;
import java.util.List;
import java.util.Map;

/**
 * {@code ReservedDomains} are the rate-limit domains Tollgate keeps for itself: every domain named
 * {@value #PREFIX} or under {@code tollgate.internal.}. A user's rate-limit config may not use
 * them, so what Tollgate spends there (its warm-up) can never touch a user's buckets.
 */
public final class ReservedDomains {
  /** The reserved name; domains under it ({@code tollgate.internal.*}) are reserved too. */
  public static final String PREFIX = "tollgate.internal";

  /** The domain a server's warm-up spends from. */
  public static final String WARM_UP = PREFIX + ".warm-up";

  /**
   * The descriptor entry key of the warm-up domain; the value {@code strict} or {@code fast} picks
   * the mode.
   */
  public static final String WARM_UP_KEY = "warm-up";

  private static final long WARM_UP_LIMIT = 1_000_000_000L;

  private ReservedDomains() {}

  /** Whether {@code domain} is reserved for Tollgate. */
  public static boolean isReserved(String domain) {
    return domain.equals(PREFIX) || domain.startsWith(PREFIX + ".");
  }

  /**
   * The warm-up domain: {@value #WARM_UP_KEY}{@code =strict} and {@value #WARM_UP_KEY}{@code
   * =fast}, each with a limit per second no warm-up reaches.
   */
  public static DomainConfig warmUp() {
    Descriptor strict = warmUpDescriptor("strict", Quotas.Mode.STRICT);
    Descriptor fast = warmUpDescriptor("fast", Quotas.Mode.FAST);
    return new DomainConfig(
        WARM_UP, "(built in)", Map.of(strict.id(), strict, fast.id(), fast), List.of(), false);
  }

  private static Descriptor warmUpDescriptor(String value, Quotas.Mode mode) {
    RateLimit limit =
        new RateLimit("", RateLimitUnit.SECOND, WARM_UP_LIMIT, false, List.of(), mode);
    return new Descriptor(WARM_UP_KEY, value, limit, false, false, Map.of(), List.of(), 0);
  }
}
