package io.tollgate.quota;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.tollgate.adapter.spi.Quotas.Decision;
import io.tollgate.adapter.spi.Quotas.Limit;
import io.tollgate.adapter.spi.Quotas.Mode;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ClusterBuckets} spends from the Bucket4j buckets of the map {@value HazelcastQuotas#MAP}:
 * each attempt an entry processor on the bucket's owner ({@link Mode#STRICT}), or on a local view
 * synchronized with the owner every {@link HazelcastQuotas#FAST_UNSYNCHRONIZED_HITS} hits or {@link
 * HazelcastQuotas#FAST_SYNC_INTERVAL} ({@link Mode#FAST}). Calls block for the round trip.
 * Thread-safe.
 */
final class ClusterBuckets {
  /** The most fast-mode views kept; past it they are all dropped and rebuilt on next use. */
  private static final int MAX_FAST_VIEWS = 100_000;

  private final HazelcastInstance hazelcast;
  private final Duration timeout;
  private final FixedWindows windows;
  private volatile ProxyManager<String> buckets;
  private final Map<String, BucketProxy> fastViews = new ConcurrentHashMap<>();

  /**
   * @param timeout Bucket4j's request timeout for one call
   * @param windows the window maths, whose clock must be the wall clock the owners refill by
   */
  ClusterBuckets(HazelcastInstance hazelcast, Duration timeout, FixedWindows windows) {
    this.hazelcast = Objects.requireNonNull(hazelcast, "hazelcast");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.windows = Objects.requireNonNull(windows, "windows");
  }

  /**
   * The buckets, reached on first use: a client that has not reached the cluster yet fails here
   * (and the caller's failure mode applies) until it has.
   */
  private ProxyManager<String> buckets() {
    ProxyManager<String> b = buckets;
    if (b == null) {
      synchronized (this) {
        if (buckets == null) {
          IMap<String, byte[]> map = hazelcast.getMap(HazelcastQuotas.MAP);
          buckets =
              Bucket4jHazelcast.entryProcessorBasedBuilder(map)
                  .requestTimeout(timeout)
                  .expirationAfterWrite(
                      ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                          HazelcastQuotas.EXPIRY_GRACE))
                  .build();
        }
        b = buckets;
      }
    }
    return b;
  }

  /**
   * Spends {@code hits} from the bucket {@code key} under {@code limit}, or nothing if they do not
   * all fit; no hits, or more than a window holds, only report.
   */
  Decision consume(String key, Limit limit, long hits) {
    BucketProxy bucket =
        limit.mode() == Mode.FAST
            ? fastViews.computeIfAbsent(key + '\u0000' + limit, k -> fast(key, limit))
            : buckets()
                .builder()
                .withImplicitConfigurationReplacement(
                    FixedWindows.version(limit), TokensInheritanceStrategy.AS_IS)
                .build(key, () -> windows.configuration(limit));
    if (hits == 0 || hits > limit.requests()) {
      // Nothing to spend, or more than a window holds: only report.
      long remaining = bucket.getAvailableTokens();
      return new Decision(
          hits == 0, limit.requests(), Math.max(0, remaining), windows.untilEnd(limit));
    }
    ConsumptionProbe p = bucket.tryConsumeAndReturnRemaining(hits);
    return new Decision(
        p.isConsumed(), limit.requests(), p.getRemainingTokens(), windows.untilEnd(limit));
  }

  private BucketProxy fast(String key, Limit limit) {
    if (fastViews.size() > MAX_FAST_VIEWS) {
      fastViews.clear(); // a bound on local views; they are rebuilt on next use
    }
    return buckets()
        .builder()
        .withImplicitConfigurationReplacement(
            FixedWindows.version(limit), TokensInheritanceStrategy.AS_IS)
        .withOptimization(
            Optimizations.delaying(
                new DelayParameters(
                    HazelcastQuotas.FAST_UNSYNCHRONIZED_HITS, HazelcastQuotas.FAST_SYNC_INTERVAL)))
        .build(key, () -> windows.configuration(limit));
  }

  /** Forgets the bucket of {@code key}: the cluster's copy and this member's fast-mode views. */
  void discard(String key) {
    fastViews.keySet().removeIf(k -> k.startsWith(key + '\u0000'));
    hazelcast.getMap(HazelcastQuotas.MAP).delete(key);
  }

  /**
   * Forgets the warm-up's bucket {@code key} and every fast-mode view: a warm-up follows every
   * (re)connection, and views from before it are rebuilt on next use.
   */
  void discardWarmUp(String key) {
    fastViews.clear();
    hazelcast.getMap(HazelcastQuotas.MAP).delete(key);
  }
}
