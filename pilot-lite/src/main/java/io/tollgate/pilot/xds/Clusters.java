package io.tollgate.pilot.xds;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.tollgate.common.config.Durations;
import io.tollgate.pilot.model.DestinationRule;
import io.tollgate.pilot.model.ServiceEntry;
import java.util.List;
import java.util.Map;

/**
 * {@code Clusters} builds the EDS clusters of a ServiceEntry host and port, the host's own and one
 * per DestinationRule subset (Istio's names, {@link Translator#clusterName}), with the traffic
 * policy of the subset or else of the host: load balancing, connection pool (circuit breakers and
 * connect timeout), outlier detection and mutual TLS.
 */
final class Clusters {
  private Clusters() {}

  /** Adds the clusters of {@code host} on {@code port}, and their endpoints. */
  static void add(
      String host,
      ServiceEntry.Port port,
      ServiceEntry.Spec se,
      DestinationRule dr,
      List<Cluster> clusters,
      List<ClusterLoadAssignment> endpoints) {
    DestinationRule.TrafficPolicy hostPolicy = dr == null ? null : dr.spec().trafficPolicy();
    String name = Translator.clusterName(port.number(), null, host);
    clusters.add(cluster(name, hostPolicy));
    endpoints.add(Endpoints.matching(name, port, se, Map.of()));
    if (dr != null && dr.spec().subsets() != null) {
      for (DestinationRule.Subset subset : dr.spec().subsets()) {
        String subsetName = Translator.clusterName(port.number(), subset.name(), host);
        clusters.add(
            cluster(
                subsetName, subset.trafficPolicy() != null ? subset.trafficPolicy() : hostPolicy));
        endpoints.add(
            Endpoints.matching(
                subsetName, port, se, subset.labels() == null ? Map.of() : subset.labels()));
      }
    }
  }

  private static Cluster cluster(String name, DestinationRule.TrafficPolicy policy) {
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName(name)
            .setType(Cluster.DiscoveryType.EDS)
            .setEdsClusterConfig(
                Cluster.EdsClusterConfig.newBuilder().setEdsConfig(Protos.ADS).setServiceName(name))
            .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
    if (policy == null) {
      return c.build();
    }
    if (MutualTls.istioMutual(policy)) {
      c.setTransportSocket(MutualTls.upstream(MutualTls.proxyless()));
    }
    if (policy.loadBalancer() != null && policy.loadBalancer().simple() != null) {
      c.setLbPolicy(
          switch (policy.loadBalancer().simple()) {
            case "LEAST_REQUEST" -> Cluster.LbPolicy.LEAST_REQUEST;
            case "RANDOM" -> Cluster.LbPolicy.RANDOM;
            default -> Cluster.LbPolicy.ROUND_ROBIN;
          });
    }
    var pool = policy.connectionPool();
    if (pool != null) {
      if (pool.tcp() != null && pool.tcp().connectTimeout() != null) {
        c.setConnectTimeout(Protos.duration(Durations.parse(pool.tcp().connectTimeout())));
      }
      c.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(thresholds(pool)));
    }
    if (policy.outlierDetection() != null) {
      c.setOutlierDetection(outlierDetection(policy.outlierDetection()));
    }
    return c.build();
  }

  private static CircuitBreakers.Thresholds thresholds(DestinationRule.ConnectionPool pool) {
    CircuitBreakers.Thresholds.Builder t =
        CircuitBreakers.Thresholds.newBuilder().setPriority(RoutingPriority.DEFAULT);
    if (pool.tcp() != null && pool.tcp().maxConnections() != null) {
      t.setMaxConnections(UInt32Value.of(pool.tcp().maxConnections()));
    }
    if (pool.http() != null) {
      if (pool.http().http1MaxPendingRequests() != null) {
        t.setMaxPendingRequests(UInt32Value.of(pool.http().http1MaxPendingRequests()));
      }
      if (pool.http().http2MaxRequests() != null) {
        t.setMaxRequests(UInt32Value.of(pool.http().http2MaxRequests()));
      }
      if (pool.http().maxRetries() != null) {
        t.setMaxRetries(UInt32Value.of(pool.http().maxRetries()));
      }
    }
    return t.build();
  }

  private static OutlierDetection outlierDetection(DestinationRule.OutlierDetection od) {
    OutlierDetection.Builder o = OutlierDetection.newBuilder();
    if (od.consecutive5xxErrors() != null) {
      o.setConsecutive5Xx(UInt32Value.of(od.consecutive5xxErrors()));
    }
    if (od.consecutiveGatewayErrors() != null) {
      o.setConsecutiveGatewayFailure(UInt32Value.of(od.consecutiveGatewayErrors()));
    }
    if (od.interval() != null) {
      o.setInterval(Protos.duration(Durations.parse(od.interval())));
    }
    if (od.baseEjectionTime() != null) {
      o.setBaseEjectionTime(Protos.duration(Durations.parse(od.baseEjectionTime())));
    }
    if (od.maxEjectionPercent() != null) {
      o.setMaxEjectionPercent(UInt32Value.of(od.maxEjectionPercent()));
    }
    return o.build();
  }
}
