package io.tollgate.quota;

import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.github.bucket4j.grid.hazelcast.HazelcastProxyManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code HazelcastQuotas} keeps quotas as Bucket4j buckets in a Hazelcast map, so every member of
 * the cluster spends from the same buckets. In {@link QuotaService.Mode#STRICT} each attempt is an
 * entry processor on the bucket's owner; in {@link QuotaService.Mode#FAST} a member spends from a
 * local view of the bucket and synchronizes it with the owner after {@link
 * #FAST_UNSYNCHRONIZED_HITS} hits or {@link #FAST_SYNC_INTERVAL}, whichever comes first.
 *
 * <p>Windows are fixed and aligned to the epoch. Idle buckets expire after their window plus a
 * minute, and a member holds at most {@link Settings#maxBuckets()} of them (least recently used
 * go first), so memory stays bounded whatever the keys. A changed limit replaces an existing
 * bucket's configuration on its next use; the tokens it had are carried over as they are, capped
 * at the new limit.
 */
public final class HazelcastQuotas implements QuotaService {
  private static final Logger log = LoggerFactory.getLogger(HazelcastQuotas.class);
  /** Hits a member may spend in fast mode before it synchronizes with the owner. */
  public static final long FAST_UNSYNCHRONIZED_HITS = 10;
  /** The longest a member spends in fast mode without synchronizing. */
  public static final Duration FAST_SYNC_INTERVAL = Duration.ofMillis(50);
  static final String MAP = "tollgate-quotas";

  /**
   * How this member joins the cluster.
   *
   * @param clusterName members with the same name form one cluster
   * @param bind the address to listen on (127.0.0.1 unless told otherwise)
   * @param port the first port to try; the next ones are tried when it is taken
   * @param members the addresses ({@code host[:port]}) of other members, TCP-IP discovery
   * @param maxBuckets the most buckets one member keeps
   * @param timeout how long one attempt may take in the cluster before it fails
   */
  public record Settings(
      String clusterName, String bind, int port, List<String> members, int maxBuckets, Duration timeout) {
    public static Settings loopback(int port, List<String> members) {
      return new Settings("tollgate", "127.0.0.1", port, members, 1_000_000, Duration.ofMillis(500));
    }
  }

  private final HazelcastInstance hazelcast;
  private final ProxyManager<String> buckets;
  private final Map<String, BucketProxy> fastViews = new ConcurrentHashMap<>();

  private HazelcastQuotas(HazelcastInstance hazelcast, Duration timeout) {
    this.hazelcast = hazelcast;
    IMap<String, byte[]> map = hazelcast.getMap(MAP);
    this.buckets = Bucket4jHazelcast.entryProcessorBasedBuilder(map).requestTimeout(timeout).build();
  }

  /** Starts an embedded member that joins (or starts) the cluster. */
  public static HazelcastQuotas start(Settings s) {
    System.setProperty("hazelcast.logging.type", "slf4j");
    Config c = new Config();
    c.setClusterName(s.clusterName());
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    c.getNetworkConfig().setPort(s.port()).setPortAutoIncrement(true).setPortCount(20);
    c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(s.bind());
    c.setProperty("hazelcast.local.localAddress", s.bind());
    JoinConfig join = c.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(s.members().isEmpty() ? List.of(s.bind()) : s.members());
    MapConfig map = new MapConfig(MAP)
        .setBackupCount(1)
        .setMaxIdleSeconds((int) Duration.ofDays(1).plusMinutes(1).toSeconds())
        .setEvictionConfig(new EvictionConfig()
            .setEvictionPolicy(EvictionPolicy.LRU)
            .setMaxSizePolicy(MaxSizePolicy.PER_NODE)
            .setSize(s.maxBuckets()));
    c.addMapConfig(map);
    HazelcastProxyManager.addCustomSerializers(c.getSerializationConfig(), 10_000);
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(c);
    log.info("quota member {} up; cluster '{}' has {} member(s)",
        hz.getCluster().getLocalMember().getAddress(), s.clusterName(), hz.getCluster().getMembers().size());
    return new HazelcastQuotas(hz, s.timeout());
  }

  /** The number of members this one sees. */
  public int clusterSize() {
    return hazelcast.getCluster().getMembers().size();
  }

  /** The number of buckets this member owns. */
  public long localBuckets() {
    return hazelcast.getMap(MAP).getLocalMapStats().getOwnedEntryCount();
  }

  @Override
  public Decision tryConsume(String key, Limit limit, long hits) {
    if (hits < 0) {
      throw new IllegalArgumentException("hits must not be negative, not " + hits);
    }
    BucketProxy bucket = limit.mode() == Mode.FAST
        ? fastViews.computeIfAbsent(key + '\u0000' + limit, k -> fast(key, limit))
        : buckets.builder()
            .withImplicitConfigurationReplacement(version(limit), TokensInheritanceStrategy.AS_IS)
            .build(key, () -> configuration(limit));
    if (hits == 0 || hits > limit.requests()) {
      // Nothing to spend, or more than a window holds: only report.
      long remaining = bucket.getAvailableTokens();
      return new Decision(hits == 0, limit.requests(), Math.max(0, remaining), untilWindowEnd(limit));
    }
    ConsumptionProbe p = bucket.tryConsumeAndReturnRemaining(hits);
    return new Decision(p.isConsumed(), limit.requests(), p.getRemainingTokens(), untilWindowEnd(limit));
  }

  private BucketProxy fast(String key, Limit limit) {
    if (fastViews.size() > 100_000) {
      fastViews.clear(); // a bound on local views; they are rebuilt on next use
    }
    return buckets.builder()
        .withImplicitConfigurationReplacement(version(limit), TokensInheritanceStrategy.AS_IS)
        .withOptimization(Optimizations.delaying(new DelayParameters(FAST_UNSYNCHRONIZED_HITS, FAST_SYNC_INTERVAL)))
        .build(key, () -> configuration(limit));
  }

  static BucketConfiguration configuration(Limit limit) {
    Instant next = windowEnd(Instant.now(), limit.window());
    return BucketConfiguration.builder()
        .addLimit(b -> b.capacity(limit.requests()).refillIntervallyAligned(limit.requests(), limit.window(), next))
        .build();
  }

  private static long version(Limit limit) {
    return Math.abs(limit.requests() * 31 + limit.window().toMillis());
  }

  static Instant windowEnd(Instant now, Duration window) {
    long w = window.toMillis();
    long t = now.toEpochMilli();
    return Instant.ofEpochMilli((t / w + 1) * w);
  }

  private static Duration untilWindowEnd(Limit limit) {
    Instant now = Instant.now();
    return Duration.between(now, windowEnd(now, limit.window()));
  }

  @Override
  public void close() {
    hazelcast.shutdown();
  }
}
