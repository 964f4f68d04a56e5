package io.tollgate.pilot.model;

import java.util.List;
import java.util.Map;

/**
 * Policies for traffic to one host once routed: subsets by labels, load balancing, connection pool,
 * outlier detection, TLS.
 */
public record DestinationRule(String apiVersion, String kind, Metadata metadata, Spec spec)
    implements Resource {
  public record Spec(
      String host, TrafficPolicy trafficPolicy, List<Subset> subsets, List<String> exportTo) {}

  public record Subset(String name, Map<String, String> labels, TrafficPolicy trafficPolicy) {}

  public record TrafficPolicy(
      LoadBalancer loadBalancer,
      ConnectionPool connectionPool,
      OutlierDetection outlierDetection,
      Tls tls) {}

  /** {@code simple}: ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH. */
  public record LoadBalancer(String simple) {}

  public record ConnectionPool(Tcp tcp, Http http) {}

  public record Tcp(Integer maxConnections, String connectTimeout) {}

  public record Http(
      Integer http1MaxPendingRequests, Integer http2MaxRequests, Integer maxRetries) {}

  public record OutlierDetection(
      Integer consecutive5xxErrors,
      Integer consecutiveGatewayErrors,
      String interval,
      String baseEjectionTime,
      Integer maxEjectionPercent) {}

  /** {@code mode}: DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL. */
  public record Tls(String mode, String sni) {}
}
