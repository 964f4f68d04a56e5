package io.tollgate.quota;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

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
 *
 * <p>It puts together the parts, one file each: the membership ({@code ClusterMembership}, with
 * {@code ClusterConfigs}), the buckets ({@code ClusterBuckets}) and their window maths ({@code
 * FixedWindows}), the warm-up ({@code BucketWarmUp}) and the callers that keep the deadline ({@code
 * ClusterCalls}).
 */
public final class HazelcastQuotas implements QuotaService {
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

  private final ClusterMembership membership;
  private final ClusterBuckets buckets;
  private final BucketWarmUp warmUp;
  private final ClusterCalls calls;

  /**
   * The windows are those of the wall clock: Bucket4j refills a bucket on its owner by the owner's
   * wall clock, and a window's end must be the one the owner sees.
   */
  private HazelcastQuotas(ClusterMembership membership, Duration timeout) {
    this.membership = membership;
    this.calls = new ClusterCalls(timeout);
    this.buckets =
        new ClusterBuckets(membership.hazelcast(), timeout, new FixedWindows(Clock.systemUTC()));
    this.warmUp = new BucketWarmUp(membership, buckets);
  }

  /** The Hazelcast configuration of a member: discovery, the bucket map, Bucket4j's serializers. */
  static Config memberConfig(Settings s) {
    return ClusterConfigs.member(s);
  }

  /** Starts an embedded member that joins (or starts) the cluster. */
  public static HazelcastQuotas start(Settings s) {
    HazelcastQuotas q = new HazelcastQuotas(ClusterMembership.member(s), s.timeout());
    q.warmUp.now();
    q.membership.warmedUp();
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
    HazelcastQuotas q =
        new HazelcastQuotas(
            ClusterMembership.client(clusterName, members, kubernetesServiceDns), timeout);
    q.membership.onEveryConnection(q.warmUp::inBackground);
    return q;
  }

  /** The end of the window of length {@code window} that {@code now} falls in. */
  static Instant windowEnd(Instant now, Duration window) {
    return FixedWindows.end(now, window);
  }

  /** The Hazelcast instance, for tests in this package. */
  HazelcastInstance hazelcast() {
    return membership.hazelcast();
  }

  /**
   * Whether the cluster can be reached: always for a running member; for a client, while it is
   * connected and a round trip has worked since it (re)connected.
   */
  public boolean reachable() {
    return membership.reachable();
  }

  /** The number of members this one sees; 0 while a client is not connected. */
  public int clusterSize() {
    return membership.clusterSize();
  }

  /** The members' addresses ({@code host:port}); empty while a client is not connected. */
  public List<String> memberAddresses() {
    return membership.memberAddresses();
  }

  /** The number of buckets this member owns; 0 for a client, which owns none. */
  public long localBuckets() {
    return membership.localBuckets();
  }

  /** {@link #localBuckets()}, leaving out those of {@code keys} this member owns. */
  public long localBucketsExcept(Collection<String> keys) {
    return membership.localBucketsExcept(keys);
  }

  /**
   * Forgets the bucket of {@code key}: the cluster's copy and this member's fast-mode views of it.
   */
  public void discard(String key) {
    buckets.discard(key);
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
    return calls.call(() -> buckets.consume(key, limit, hits));
  }

  @Override
  public void close() {
    warmUp.close();
    calls.close();
    membership.shutdown();
  }
}
