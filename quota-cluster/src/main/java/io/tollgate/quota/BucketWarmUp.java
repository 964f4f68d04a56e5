package io.tollgate.quota;

import io.tollgate.adapter.spi.Quotas.Limit;
import io.tollgate.adapter.spi.Quotas.Mode;
import io.tollgate.common.lifecycle.DaemonThreads;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code BucketWarmUp} spends once in each mode on a key of its own, so the first real decisions do
 * not pay for class loading and serializer set-up and miss their deadlines. A member warms up once
 * as it starts; a client after every (re)connection, in the background. The cluster counts as
 * reachable once a warm-up has worked. Thread-safe.
 */
final class BucketWarmUp implements AutoCloseable {
  // Logged under HazelcastQuotas, the name log configurations know the quota cluster by.
  private static final Logger log = LoggerFactory.getLogger(HazelcastQuotas.class);

  /** Attempts after one (re)connection before a client waits for the next one. */
  private static final int ATTEMPTS = 100;

  private static final long RETRY_MILLIS = 200;

  private final ClusterMembership membership;
  private final ClusterBuckets buckets;

  /** Where a client warms up, off Hazelcast's event thread; {@code null} for a member. */
  private final ExecutorService warmer;

  BucketWarmUp(ClusterMembership membership, ClusterBuckets buckets) {
    this.membership = membership;
    this.buckets = buckets;
    this.warmer =
        membership.isClient()
            ? Executors.newSingleThreadExecutor(DaemonThreads.named("tollgate-quota-warm-up"))
            : null;
  }

  /** Warms up now, in the caller's thread; throws when the cluster fails. */
  void now() {
    long start = System.nanoTime();
    String key = "\u0000tollgate-warm-up-" + UUID.randomUUID();
    try {
      for (Mode mode : Mode.values()) {
        buckets.consume(key, new Limit(1, Duration.ofSeconds(1), mode), 1);
      }
    } catch (RuntimeException e) {
      // An attempt that failed half-way may have made its bucket: the retry uses a key of its own,
      // so this one is forgotten now rather than counted on the owner until it idles out.
      try {
        buckets.discardWarmUp(key);
      } catch (RuntimeException ignored) {
        e.addSuppressed(ignored);
      }
      throw e;
    }
    buckets.discardWarmUp(key);
    log.debug("quota buckets warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * A client warms up after every (re)connection, off the event thread, retrying for a while; it is
   * reachable once a round trip has worked.
   */
  void inBackground() {
    warmer.execute(
        () -> {
          for (int attempt = 1;
              attempt <= ATTEMPTS && membership.connected() && !membership.warm();
              attempt++) {
            try {
              now();
              membership.warmedUp();
              log.info("quota client ready: {} member(s)", membership.members());
              return;
            } catch (RuntimeException e) {
              log.debug("quota client warm-up attempt {} failed: {}", attempt, e.toString());
              try {
                Thread.sleep(RETRY_MILLIS);
              } catch (InterruptedException ie) {
                return;
              }
            }
          }
        });
  }

  @Override
  public void close() {
    if (warmer != null) {
      warmer.shutdownNow();
    }
  }
}
