package io.tollgate.quota;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.cluster.Member;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import com.hazelcast.map.IMap;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ClusterMembership} is this server's place in the quota cluster: an embedded member ({@link
 * #member}) or a client of dedicated members ({@link #client}), and whether the cluster can be
 * reached now. Thread-safe.
 */
final class ClusterMembership {
  // Logged under HazelcastQuotas, the name log configurations know the quota cluster by.
  private static final Logger log = LoggerFactory.getLogger(HazelcastQuotas.class);

  private final HazelcastInstance hazelcast;
  private final boolean client;
  private final AtomicBoolean connected;

  /**
   * Whether a round trip has worked since the last (re)connection: only then is the cluster
   * reachable.
   */
  private volatile boolean warm;

  /** What to do on every (re)connection of a client. */
  private volatile Runnable onConnected;

  private ClusterMembership(HazelcastInstance hazelcast, boolean client, AtomicBoolean connected) {
    this.hazelcast = hazelcast;
    this.client = client;
    this.connected = connected;
  }

  /** Starts an embedded member that joins (or starts) the cluster. */
  static ClusterMembership member(HazelcastQuotas.Settings s) {
    System.setProperty("hazelcast.logging.type", "slf4j");
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(ClusterConfigs.member(s));
    log.info(
        "quota member {} up; cluster '{}' has {} member(s)",
        hz.getCluster().getLocalMember().getAddress(),
        s.clusterName(),
        hz.getCluster().getMembers().size());
    return new ClusterMembership(hz, false, new AtomicBoolean(true));
  }

  /**
   * Starts a client of the members at {@code members} or, when {@code kubernetesServiceDns} is set,
   * at the addresses of that headless Kubernetes service. Returns at once; it keeps (re)connecting
   * in the background.
   */
  static ClusterMembership client(
      String clusterName, List<String> members, String kubernetesServiceDns) {
    System.setProperty("hazelcast.logging.type", "slf4j");
    AtomicBoolean connected = new AtomicBoolean();
    AtomicReference<ClusterMembership> self = new AtomicReference<>();
    ClientConfig c = ClusterConfigs.client(clusterName, members, kubernetesServiceDns);
    c.addListenerConfig(
        new ListenerConfig(
            (LifecycleListener)
                e -> {
                  if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                    connected.set(true);
                    log.info("quota client connected to cluster '{}'; warming up", clusterName);
                    ClusterMembership m = self.get();
                    if (m != null) {
                      m.connectedAgain();
                    }
                  } else if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_DISCONNECTED) {
                    connected.set(false);
                    ClusterMembership m = self.get();
                    if (m != null) {
                      m.warm = false;
                    }
                    log.warn(
                        "quota client lost cluster '{}' ({}); reconnecting, quota decisions fail until then",
                        clusterName,
                        members);
                  }
                }));
    log.info("quota client connecting to cluster '{}' at {}", clusterName, members);
    ClusterMembership m =
        new ClusterMembership(HazelcastClient.newHazelcastClient(c), true, connected);
    self.set(m);
    return m;
  }

  /**
   * Runs {@code action} on every (re)connection of a client from now on, and at once if it is
   * connected already (it may have connected before it could be told).
   */
  void onEveryConnection(Runnable action) {
    onConnected = action;
    if (connected.get()) {
      action.run();
    }
  }

  private void connectedAgain() {
    Runnable r = onConnected;
    if (r != null) {
      r.run();
    }
  }

  /** Records that a round trip has worked since the last (re)connection. */
  void warmedUp() {
    warm = true;
  }

  HazelcastInstance hazelcast() {
    return hazelcast;
  }

  boolean isClient() {
    return client;
  }

  /** Whether a client is connected now; a member always is. */
  boolean connected() {
    return connected.get();
  }

  /** Whether a round trip has worked since the last (re)connection. */
  boolean warm() {
    return warm;
  }

  /**
   * Whether the cluster can be reached: always for a running member; for a client, while it is
   * connected and a round trip has worked since it (re)connected.
   */
  boolean reachable() {
    return connected.get() && warm && hazelcast.getLifecycleService().isRunning();
  }

  /** The number of members this one sees; 0 while a client is not connected. */
  int clusterSize() {
    return reachable() ? members() : 0;
  }

  /** The number of members this one sees, reachable or not. */
  int members() {
    return hazelcast.getCluster().getMembers().size();
  }

  /** The members' addresses ({@code host:port}); empty while a client is not connected. */
  List<String> memberAddresses() {
    if (!reachable()) {
      return List.of();
    }
    return hazelcast.getCluster().getMembers().stream()
        .map(m -> m.getAddress().getHost() + ":" + m.getAddress().getPort())
        .toList();
  }

  /** The number of buckets this member owns; 0 for a client, which owns none. */
  long localBuckets() {
    return client
        ? 0
        : hazelcast.getMap(HazelcastQuotas.MAP).getLocalMapStats().getOwnedEntryCount();
  }

  /** {@link #localBuckets()}, leaving out those of {@code keys} this member owns. */
  long localBucketsExcept(Collection<String> keys) {
    long n = localBuckets();
    if (n == 0 || keys.isEmpty()) {
      return n;
    }
    IMap<String, byte[]> map = hazelcast.getMap(HazelcastQuotas.MAP);
    for (String k : keys) {
      Member owner = hazelcast.getPartitionService().getPartition(k).getOwner();
      if (owner != null && owner.localMember() && map.containsKey(k)) {
        n--;
      }
    }
    return Math.max(0, n);
  }

  /** Leaves the cluster. */
  void shutdown() {
    hazelcast.shutdown();
  }
}
