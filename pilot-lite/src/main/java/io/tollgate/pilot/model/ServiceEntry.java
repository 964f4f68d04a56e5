package io.tollgate.pilot.model;

import java.util.List;
import java.util.Map;

/**
 * The service registry: hosts, their ports and the endpoints behind them. Port names follow Istio's
 * {@code <protocol>[-<suffix>]} (http, http2, grpc, tcp, mongo, redis).
 */
public record ServiceEntry(String apiVersion, String kind, Metadata metadata, Spec spec)
    implements Resource {
  public record Spec(
      List<String> hosts,
      List<String> addresses,
      List<Port> ports,
      String location,
      String resolution,
      List<Endpoint> endpoints,
      List<String> exportTo) {}

  public record Port(int number, String name, String protocol, Integer targetPort) {}

  /** {@code ports} maps a service port name to the port this endpoint listens on. */
  public record Endpoint(
      String address,
      Map<String, Integer> ports,
      Map<String, String> labels,
      String network,
      String locality,
      Integer weight) {}
}
