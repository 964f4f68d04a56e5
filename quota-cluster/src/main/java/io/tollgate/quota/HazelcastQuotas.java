package io.tollgate.quota;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import com.hazelcast.map.IMap;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.grid.hazelcast.Bucket4jHazelcast;
import io.github.bucket4j.grid.hazelcast.HazelcastProxyManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code HazelcastQuotas} keeps quotas as Bucket4j buckets in a Hazelcast map, so every member of
 * the cluster spends from the same buckets. In {@link QuotaService.Mode#STRICT} each attempt is an
 * entry processor on the bucket's owner; in {@link QuotaService.Mode#FAST} a member spends from a
 * local view of the bucket and synchronizes it with the owner after {@link
 * #FAST_UNSYNCHRONIZED_HITS} hits or {@link #FAST_SYNC_INTERVAL}, whichever comes first.
 *
 * <p>Windows are fixed and aligned to the epoch. A bucket expires {@link #EXPIRY_GRACE} after its
 * window ends (it would be full again by then, so nothing is lost), and a member holds at most
 * {@link Settings#maxBuckets()} of them (least recently used go first), so memory stays bounded
 * whatever the keys. A changed limit replaces an existing bucket's configuration on its next use;
 * the tokens it had are carried over as they are, capped at the new limit.
 *
 * <p>A policy server either is a member itself ({@link #start}) or connects as a client to
 * dedicated members, the {@code tollgate quota-node} processes ({@link #connect}); the buckets and
 * their guarantees are the same.
 */
public final class HazelcastQuotas implements QuotaService {
  private static final Logger log = LoggerFactory.getLogger(HazelcastQuotas.class);

  /** Hits a member may spend in fast mode before it synchronizes with the owner. */
  public static final long FAST_UNSYNCHRONIZED_HITS = 10;

  /** The longest a member spends in fast mode without synchronizing. */
  public static final Duration FAST_SYNC_INTERVAL = Duration.ofMillis(50);

  static final String MAP = "tollgate-quotas";

  /**
   * How long a bucket is kept after its window ends (when it would be full again anyway): an idle
   * key costs memory for at most its window plus this.
   */
  public static final Duration EXPIRY_GRACE = Duration.ofSeconds(5);

  /**
   * How this member joins the cluster.
   *
   * @param clusterName members with the same name form one cluster
   * @param bind the address to listen on (127.0.0.1 unless told otherwise; the pod IP on
   *     Kubernetes)
   * @param port the first port to try; the next ones are tried when it is taken
   * @param members the addresses ({@code host[:port]}) of other members, TCP-IP discovery
   * @param kubernetesServiceDns instead of {@code members}: the DNS name of a headless Kubernetes
   *     service whose addresses are the members ({@code tollgate-quota.mesh.svc.cluster.local});
   *     {@code null} for TCP-IP
   * @param maxBuckets the most buckets one member keeps
   * @param timeout how long a caller waits for one attempt before it fails (the cluster call itself
   *     is left to finish or fail on its own)
   */
  public record Settings(
      String clusterName,
      String bind,
      int port,
      List<String> members,
      String kubernetesServiceDns,
      int maxBuckets,
      Duration timeout) {
    public Settings {
      members = List.copyOf(members);
      kubernetesServiceDns =
          kubernetesServiceDns == null || kubernetesServiceDns.isBlank()
              ? null
              : kubernetesServiceDns;
    }

    public static Settings loopback(int port, List<String> members) {
      return new Settings(
          "tollgate", "127.0.0.1", port, members, null, 1_000_000, Duration.ofMillis(500));
    }
  }

  private final HazelcastInstance hazelcast;
  private final boolean client;
  private final AtomicBoolean connected;

  /**
   * Whether a round trip has worked since the last (re)connection: only then is the cluster
   * reachable.
   */
  private volatile boolean warm;

  private final ExecutorService warmer;

  /**
   * Threads that make the blocking cluster calls, so that callers can stop waiting at the deadline.
   */
  private final ThreadPoolExecutor callers;

  static final int CALLERS_QUEUE = 10_000;
  private final Duration timeout;
  private volatile ProxyManager<String> buckets;
  private final Map<String, BucketProxy> fastViews = new ConcurrentHashMap<>();

  private HazelcastQuotas(
      HazelcastInstance hazelcast, boolean client, AtomicBoolean connected, Duration timeout) {
    this.hazelcast = hazelcast;
    this.client = client;
    this.connected = connected;
    AtomicInteger n = new AtomicInteger();
    int threads = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    this.callers =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(CALLERS_QUEUE),
            r -> {
              Thread t = new Thread(r, "tollgate-quota-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.warmer =
        client
            ? Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "tollgate-quota-warm-up");
                  t.setDaemon(true);
                  return t;
                })
            : null;
    this.timeout = timeout;
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
          IMap<String, byte[]> map = hazelcast.getMap(MAP);
          buckets =
              Bucket4jHazelcast.entryProcessorBasedBuilder(map)
                  .requestTimeout(timeout)
                  .expirationAfterWrite(
                      ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                          EXPIRY_GRACE))
                  .build();
        }
        b = buckets;
      }
    }
    return b;
  }

  /** The Hazelcast configuration of a member: discovery, the bucket map, Bucket4j's serializers. */
  static Config memberConfig(Settings s) {
    Config c = new Config();
    c.setClusterName(s.clusterName());
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    // Expired buckets are removed by a background task that visits a few partitions at a time;
    // visit them all within seconds, so memory follows the keys in use.
    c.setProperty("hazelcast.internal.map.expiration.task.period.seconds", "1");
    c.setProperty("hazelcast.internal.map.expiration.cleanup.operation.count", "64");
    c.setProperty("hazelcast.internal.map.expiration.cleanup.percentage", "100");
    c.getNetworkConfig().setPort(s.port()).setPortAutoIncrement(true).setPortCount(20);
    c.getNetworkConfig().getInterfaces().setEnabled(true).addInterface(s.bind());
    c.setProperty("hazelcast.local.localAddress", s.bind());
    JoinConfig join = c.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (s.kubernetesServiceDns() != null) {
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig()
          .setEnabled(true)
          .setProperty("service-dns", s.kubernetesServiceDns())
          .setProperty("service-port", Integer.toString(s.port()));
    } else {
      join.getTcpIpConfig()
          .setEnabled(true)
          .setMembers(s.members().isEmpty() ? List.of(s.bind()) : s.members());
    }
    MapConfig map =
        new MapConfig(MAP)
            .setBackupCount(1)
            .setMaxIdleSeconds((int) Duration.ofDays(1).plusMinutes(1).toSeconds())
            .setEvictionConfig(
                new EvictionConfig()
                    .setEvictionPolicy(EvictionPolicy.LRU)
                    .setMaxSizePolicy(MaxSizePolicy.PER_NODE)
                    .setSize(s.maxBuckets()));
    c.addMapConfig(map);
    HazelcastProxyManager.addCustomSerializers(c.getSerializationConfig(), 10_000);
    return c;
  }

  /** Starts an embedded member that joins (or starts) the cluster. */
  public static HazelcastQuotas start(Settings s) {
    System.setProperty("hazelcast.logging.type", "slf4j");
    Config c = memberConfig(s);
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(c);
    log.info(
        "quota member {} up; cluster '{}' has {} member(s)",
        hz.getCluster().getLocalMember().getAddress(),
        s.clusterName(),
        hz.getCluster().getMembers().size());
    HazelcastQuotas q = new HazelcastQuotas(hz, false, new AtomicBoolean(true), s.timeout());
    q.warmUp();
    q.warm = true;
    return q;
  }

  /**
   * Connects as a client to the members at {@code members} ({@code host[:port]}). Returns at once:
   * until the client reaches the cluster, and whenever it loses it, attempts fail fast; it keeps
   * reconnecting in the background.
   */
  public static HazelcastQuotas connect(
      String clusterName, List<String> members, Duration timeout) {
    return connect(clusterName, members, null, timeout);
  }

  /**
   * Connects as a client, finding the members at {@code members} or, when {@code
   * kubernetesServiceDns} is set, at the addresses of that headless Kubernetes service.
   */
  public static HazelcastQuotas connect(
      String clusterName, List<String> members, String kubernetesServiceDns, Duration timeout) {
    System.setProperty("hazelcast.logging.type", "slf4j");
    AtomicBoolean connected = new AtomicBoolean();
    AtomicReference<HazelcastQuotas> self = new java.util.concurrent.atomic.AtomicReference<>();
    ClientConfig c = new ClientConfig();
    c.setClusterName(clusterName);
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    if (kubernetesServiceDns != null && !kubernetesServiceDns.isBlank()) {
      c.getNetworkConfig()
          .getKubernetesConfig()
          .setEnabled(true)
          .setProperty("service-dns", kubernetesServiceDns);
    } else {
      c.getNetworkConfig().setAddresses(members);
    }
    c.getConnectionStrategyConfig()
        .setAsyncStart(true)
        .setReconnectMode(ClientConnectionStrategyConfig.ReconnectMode.ASYNC)
        .getConnectionRetryConfig()
        .setClusterConnectTimeoutMillis(Long.MAX_VALUE)
        .setMaxBackoffMillis(2000);
    c.addListenerConfig(
        new ListenerConfig(
            (LifecycleListener)
                e -> {
                  if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                    connected.set(true);
                    log.info("quota client connected to cluster '{}'; warming up", clusterName);
                    HazelcastQuotas q = self.get();
                    if (q != null) {
                      q.warmUpInBackground();
                    }
                  } else if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_DISCONNECTED) {
                    connected.set(false);
                    HazelcastQuotas q = self.get();
                    if (q != null) {
                      q.warm = false;
                    }
                    log.warn(
                        "quota client lost cluster '{}' ({}); reconnecting, quota decisions fail until then",
                        clusterName,
                        members);
                  }
                }));
    HazelcastProxyManager.addCustomSerializers(c.getSerializationConfig(), 10_000);
    log.info("quota client connecting to cluster '{}' at {}", clusterName, members);
    HazelcastQuotas q =
        new HazelcastQuotas(HazelcastClient.newHazelcastClient(c), true, connected, timeout);
    self.set(q);
    if (connected.get()) {
      q.warmUpInBackground(); // connected before the instance existed
    }
    return q;
  }

  /**
   * A client warms up after every (re)connection, off the event thread, retrying for a while; it is
   * reachable once a round trip has worked.
   */
  private void warmUpInBackground() {
    warmer.execute(
        () -> {
          for (int attempt = 1; attempt <= 100 && connected.get() && !warm; attempt++) {
            try {
              warmUp();
              warm = true;
              log.info(
                  "quota client ready: {} member(s)", hazelcast.getCluster().getMembers().size());
              return;
            } catch (RuntimeException e) {
              log.debug("quota client warm-up attempt {} failed: {}", attempt, e.toString());
              try {
                Thread.sleep(200);
              } catch (InterruptedException ie) {
                return;
              }
            }
          }
        });
  }

  /**
   * Spends once in each mode on a key of its own, so the first real decisions do not pay for class
   * loading and serializer set-up and miss their deadlines.
   */
  private void warmUp() {
    long start = System.nanoTime();
    String key = "\u0000tollgate-warm-up-" + UUID.randomUUID();
    for (Mode mode : Mode.values()) {
      consume(key, new Limit(1, Duration.ofSeconds(1), mode), 1);
    }
    fastViews.clear();
    hazelcast.getMap(MAP).delete(key);
    log.debug("quota buckets warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
  }

  /** The Hazelcast instance, for tests in this package. */
  HazelcastInstance hazelcast() {
    return hazelcast;
  }

  /**
   * Whether the cluster can be reached: always for a running member; for a client, while it is
   * connected and a round trip has worked since it (re)connected.
   */
  public boolean reachable() {
    return connected.get() && warm && hazelcast.getLifecycleService().isRunning();
  }

  /** The number of members this one sees; 0 while a client is not connected. */
  public int clusterSize() {
    return reachable() ? hazelcast.getCluster().getMembers().size() : 0;
  }

  /** The members' addresses ({@code host:port}); empty while a client is not connected. */
  public List<String> memberAddresses() {
    if (!reachable()) {
      return List.of();
    }
    return hazelcast.getCluster().getMembers().stream()
        .map(m -> m.getAddress().getHost() + ":" + m.getAddress().getPort())
        .toList();
  }

  /** The number of buckets this member owns; 0 for a client, which owns none. */
  public long localBuckets() {
    return client ? 0 : hazelcast.getMap(MAP).getLocalMapStats().getOwnedEntryCount();
  }

  /** {@link #localBuckets()}, leaving out those of {@code keys} this member owns. */
  public long localBucketsExcept(java.util.Collection<String> keys) {
    long n = localBuckets();
    if (n == 0 || keys.isEmpty()) {
      return n;
    }
    IMap<String, byte[]> map = hazelcast.getMap(MAP);
    for (String k : keys) {
      com.hazelcast.cluster.Member owner =
          hazelcast.getPartitionService().getPartition(k).getOwner();
      if (owner != null && owner.localMember() && map.containsKey(k)) {
        n--;
      }
    }
    return Math.max(0, n);
  }

  /**
   * Forgets the bucket of {@code key}: the cluster's copy and this member's fast-mode views of it.
   */
  public void discard(String key) {
    fastViews.keySet().removeIf(k -> k.startsWith(key + '\u0000'));
    hazelcast.getMap(MAP).delete(key);
  }

  @Override
  public Decision tryConsume(String key, Limit limit, long hits) {
    if (hits < 0) {
      throw new IllegalArgumentException("hits must not be negative, not " + hits);
    }
    if (!reachable()) {
      throw new IllegalStateException(
          "the quota cluster is not reachable (client not connected or not warmed up)");
    }
    // Hazelcast's blocking calls wait out a partition's migration or a partitioned owner for up to
    // its invocation timeout; callers get an answer, or a failure, within the deadline instead.
    Future<Decision> f;
    try {
      f = callers.submit(() -> consume(key, limit, hits));
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException(
          "the quota cluster is overloaded: " + CALLERS_QUEUE + " decisions already wait", e);
    }
    try {
      return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IllegalStateException(
          "the quota cluster did not answer within " + timeout.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the quota cluster", e);
    }
  }

  private Decision consume(String key, Limit limit, long hits) {
    BucketProxy bucket =
        limit.mode() == Mode.FAST
            ? fastViews.computeIfAbsent(key + '\u0000' + limit, k -> fast(key, limit))
            : buckets()
                .builder()
                .withImplicitConfigurationReplacement(
                    version(limit), TokensInheritanceStrategy.AS_IS)
                .build(key, () -> configuration(limit));
    if (hits == 0 || hits > limit.requests()) {
      // Nothing to spend, or more than a window holds: only report.
      long remaining = bucket.getAvailableTokens();
      return new Decision(
          hits == 0, limit.requests(), Math.max(0, remaining), untilWindowEnd(limit));
    }
    ConsumptionProbe p = bucket.tryConsumeAndReturnRemaining(hits);
    return new Decision(
        p.isConsumed(), limit.requests(), p.getRemainingTokens(), untilWindowEnd(limit));
  }

  private BucketProxy fast(String key, Limit limit) {
    if (fastViews.size() > 100_000) {
      fastViews.clear(); // a bound on local views; they are rebuilt on next use
    }
    return buckets()
        .builder()
        .withImplicitConfigurationReplacement(version(limit), TokensInheritanceStrategy.AS_IS)
        .withOptimization(
            Optimizations.delaying(
                new DelayParameters(FAST_UNSYNCHRONIZED_HITS, FAST_SYNC_INTERVAL)))
        .build(key, () -> configuration(limit));
  }

  static BucketConfiguration configuration(Limit limit) {
    Instant next = windowEnd(Instant.now(), limit.window());
    return BucketConfiguration.builder()
        .addLimit(
            b ->
                b.capacity(limit.requests())
                    .refillIntervallyAligned(limit.requests(), limit.window(), next))
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
    if (warmer != null) {
      warmer.shutdownNow();
    }
    callers.shutdownNow();
    hazelcast.shutdown();
  }
}
