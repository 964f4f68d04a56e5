package io.tollgate.quota;

import java.time.Duration;

/**
 * {@code QuotaService} spends hits from named quotas. Thread-safe.
 */
public interface QuotaService extends AutoCloseable {

  /**
   * A limit: {@code requests} per fixed {@code window}, windows aligned to the epoch (a per-minute
   * limit resets at every full minute, as envoyproxy/ratelimit's counters do).
   *
   * @param mode how exactly the limit is kept across the cluster
   */
  record Limit(long requests, Duration window, Mode mode) {
    public Limit {
      if (requests <= 0) {
        throw new IllegalArgumentException("a limit needs a positive number of requests, not " + requests);
      }
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("a limit needs a positive window, not " + window);
      }
    }
  }

  /** How a limit is kept. */
  enum Mode {
    /** Every hit is decided on the bucket's owner: never more than the limit per window. */
    STRICT,
    /**
     * Hits are spent from a local view and synchronized with the owner in the background: fewer
     * round trips, at most {@link HazelcastQuotas#FAST_UNSYNCHRONIZED_HITS} hits per member per
     * window beyond the limit.
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
   * not all fit.
   */
  Decision tryConsume(String key, Limit limit, long hits);

  @Override
  void close();
}
