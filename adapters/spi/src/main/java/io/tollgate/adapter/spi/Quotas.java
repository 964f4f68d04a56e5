package io.tollgate.adapter.spi;

import java.time.Duration;

/**
 * {@code Quotas} spends hits from named, shared quotas: the quota cluster every policy server
 * replica uses, offered to handlers through {@link HandlerSpec#quotas()}. Thread-safe.
 */
public interface Quotas {

  /**
   * A limit: {@code requests} per fixed {@code window}, windows aligned to the epoch (a per-minute
   * limit resets at every full minute, as envoyproxy/ratelimit's counters do).
   *
   * @param mode how exactly the limit is kept across the cluster
   */
  record Limit(long requests, Duration window, Mode mode) {
    public Limit {
      if (requests <= 0) {
        throw new IllegalArgumentException(
            "a limit needs a positive number of requests, not " + requests);
      }
      if (window == null || window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("a limit needs a positive window, not " + window);
      }
      if (mode == null) {
        throw new IllegalArgumentException("a limit needs a mode");
      }
    }
  }

  /** How a limit is kept. */
  enum Mode {
    /** Every hit is decided on the bucket's owner: never more than the limit per window. */
    STRICT,
    /**
     * Hits are spent from a local view and synchronized with the owner in the background: fewer
     * round trips, in exchange for a bounded number of hits per member per window beyond the limit
     * (see the quota service's documentation for the bound).
     */
    FAST
  }

  /**
   * The outcome of one attempt.
   *
   * @param allowed whether the hits were spent
   * @param limit the limit's requests per window
   * @param remaining hits left in the current window
   * @param untilReset time until the window ends and the quota is full again
   */
  record Decision(boolean allowed, long limit, long remaining, Duration untilReset) {}

  /**
   * Spends {@code hits} from the quota named {@code key} under {@code limit}, or nothing if they do
   * not all fit. May block for a round trip to the cluster; throws when the cluster cannot answer.
   */
  Decision tryConsume(String key, Limit limit, long hits);

  /** No quota service: every attempt fails, saying so. */
  Quotas NONE =
      (key, limit, hits) -> {
        throw new IllegalStateException("this server has no quota service");
      };
}
