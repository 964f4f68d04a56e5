package io.tollgate.pilot.xds;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.tollgate.pilot.model.ServiceEntry;
import java.util.List;
import java.util.Map;

/**
 * {@code Endpoints} builds the endpoints of clusters (EDS's {@code ClusterLoadAssignment}): those a
 * ServiceEntry lists, or one fixed address; and says which port an endpoint serves a service port
 * on.
 */
final class Endpoints {
  private Endpoints() {}

  /** The ServiceEntry's endpoints; none when it lists none. */
  static List<ServiceEntry.Endpoint> of(ServiceEntry.Spec se) {
    return se.endpoints() == null ? List.of() : se.endpoints();
  }

  /** The port the workload listens on for {@code port}: its target port, else the port itself. */
  static int targetPort(ServiceEntry.Port port) {
    return port.targetPort() != null ? port.targetPort() : port.number();
  }

  /** The port {@code ep} listens on for {@code port}: its own for that port name, if it has one. */
  static int targetPort(ServiceEntry.Endpoint ep, ServiceEntry.Port port) {
    return ep.ports() != null && ep.ports().containsKey(port.name())
        ? ep.ports().get(port.name())
        : targetPort(port);
  }

  /**
   * The cluster {@code name}'s endpoints: those of {@code se} whose labels include {@code labels}
   * (a subset's; empty for all), on their target port for {@code port}, with their weights.
   */
  static ClusterLoadAssignment matching(
      String name, ServiceEntry.Port port, ServiceEntry.Spec se, Map<String, String> labels) {
    LocalityLbEndpoints.Builder locality =
        LocalityLbEndpoints.newBuilder().setLoadBalancingWeight(UInt32Value.of(1));
    for (ServiceEntry.Endpoint ep : of(se)) {
      Map<String, String> epLabels = ep.labels() == null ? Map.of() : ep.labels();
      if (!epLabels.entrySet().containsAll(labels.entrySet())) {
        continue;
      }
      LbEndpoint.Builder lb = endpoint(ep.address(), targetPort(ep, port));
      if (ep.weight() != null) {
        lb.setLoadBalancingWeight(UInt32Value.of(ep.weight()));
      }
      locality.addLbEndpoints(lb);
    }
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    if (locality.getLbEndpointsCount() > 0) {
      cla.addEndpoints(locality);
    }
    return cla.build();
  }

  /** The cluster {@code name}'s one endpoint, {@code address:port}. */
  static ClusterLoadAssignment single(String name, String address, int port) {
    return ClusterLoadAssignment.newBuilder()
        .setClusterName(name)
        .addEndpoints(
            LocalityLbEndpoints.newBuilder()
                .setLoadBalancingWeight(UInt32Value.of(1))
                .addLbEndpoints(endpoint(address, port)))
        .build();
  }

  private static LbEndpoint.Builder endpoint(String address, int port) {
    return LbEndpoint.newBuilder()
        .setEndpoint(Endpoint.newBuilder().setAddress(Protos.address(address, port)));
  }
}
