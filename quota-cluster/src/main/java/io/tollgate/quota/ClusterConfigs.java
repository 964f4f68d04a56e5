package io.tollgate.quota;

import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import io.github.bucket4j.grid.hazelcast.HazelcastProxyManager;
import java.time.Duration;
import java.util.List;

/**
 * {@code ClusterConfigs} makes the Hazelcast configurations of a quota member and of a client of
 * quota members: discovery, the bucket map, Bucket4j's serializers.
 */
final class ClusterConfigs {
  /** Where Bucket4j's serializers start in Hazelcast's type ids. */
  private static final int SERIALIZER_TYPE_ID_BASE = 10_000;

  private ClusterConfigs() {}

  /** The Hazelcast configuration of a member: discovery, the bucket map, Bucket4j's serializers. */
  static Config member(HazelcastQuotas.Settings s) {
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
        new MapConfig(HazelcastQuotas.MAP)
            .setBackupCount(1)
            .setMaxIdleSeconds((int) Duration.ofDays(1).plusMinutes(1).toSeconds())
            .setEvictionConfig(
                new EvictionConfig()
                    .setEvictionPolicy(EvictionPolicy.LRU)
                    .setMaxSizePolicy(MaxSizePolicy.PER_NODE)
                    .setSize(s.maxBuckets()));
    c.addMapConfig(map);
    HazelcastProxyManager.addCustomSerializers(c.getSerializationConfig(), SERIALIZER_TYPE_ID_BASE);
    return c;
  }

  /**
   * The Hazelcast configuration of a client of the members at {@code members} or, when {@code
   * kubernetesServiceDns} is set, at the addresses of that headless Kubernetes service. It starts
   * at once and reconnects in the background, for ever; its listeners are the caller's to add.
   */
  static ClientConfig client(
      String clusterName, List<String> members, String kubernetesServiceDns) {
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
    HazelcastProxyManager.addCustomSerializers(c.getSerializationConfig(), SERIALIZER_TYPE_ID_BASE);
    return c;
  }
}
