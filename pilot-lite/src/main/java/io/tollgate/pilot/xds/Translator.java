package io.tollgate.pilot.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.tollgate.pilot.model.DestinationRule;
import io.tollgate.pilot.model.Mesh;
import io.tollgate.pilot.model.ServiceEntry;
import io.tollgate.pilot.model.VirtualService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a validated {@link Mesh} into xDS resources. For every ServiceEntry host and port: an EDS
 * cluster {@code outbound|<port>||<host>} and one per DestinationRule subset {@code
 * outbound|<port>|<subset>|<host>} (Istio's names) with their endpoints ({@link Clusters}); a route
 * configuration {@code <host>:<port>} from the VirtualService's http routes, or one default route
 * ({@link Routes}); and an API listener {@code <host>:<port>}, the name a proxyless gRPC client
 * resolves for {@code xds:///<host>:<port>} ({@link Listeners#api}); and, for every endpoint, the
 * server listener a proxyless gRPC server on that address asks for ({@link Listeners#server}).
 * Envoy sidecars get these and their own ({@link Sidecars}).
 */
public final class Translator {
  /**
   * The listener a proxyless gRPC server ({@code XdsServerBuilder}) asks for, with the bootstrap's
   * {@code server_listener_resource_name_template} set to {@code
   * grpc/server?xds.resource.listening_address=%s}.
   */
  public static final String SERVER_LISTENER_PREFIX = "grpc/server?xds.resource.listening_address=";

  /** Everything one snapshot carries. */
  public record Resources(
      List<Listener> listeners,
      List<RouteConfiguration> routes,
      List<Cluster> clusters,
      List<ClusterLoadAssignment> endpoints) {}

  private Translator() {}

  public static String clusterName(int port, String subset, String host) {
    return "outbound|" + port + "|" + (subset == null ? "" : subset) + "|" + host;
  }

  public static Resources translate(Mesh mesh, PolicyWiring policy) {
    Map<String, DestinationRule> rules = new LinkedHashMap<>();
    for (var dr : mesh.destinationRules()) {
      rules.put(dr.resource().spec().host(), dr.resource());
    }
    Map<String, VirtualService> services = new LinkedHashMap<>();
    for (var vs : mesh.virtualServices()) {
      for (String h : vs.resource().spec().hosts()) {
        services.putIfAbsent(h, vs.resource());
      }
    }
    List<Listener> listeners = new ArrayList<>();
    List<RouteConfiguration> routes = new ArrayList<>();
    List<Cluster> clusters = new ArrayList<>();
    List<ClusterLoadAssignment> endpoints = new ArrayList<>();
    for (var located : mesh.serviceEntries()) {
      ServiceEntry.Spec se = located.resource().spec();
      for (String host : se.hosts()) {
        DestinationRule dr = rules.get(host);
        for (ServiceEntry.Port port : se.ports()) {
          Clusters.add(host, port, se, dr, clusters, endpoints);
          String name = host + ":" + port.number();
          routes.add(Routes.configuration(name, host, port, services.get(host)));
          listeners.add(Listeners.api(name, policy));
        }
      }
      boolean mutual =
          se.hosts().stream()
              .map(rules::get)
              .anyMatch(dr -> dr != null && MutualTls.istioMutual(dr.spec().trafficPolicy()));
      for (ServiceEntry.Endpoint ep : Endpoints.of(se)) {
        for (ServiceEntry.Port port : se.ports()) {
          int target = Endpoints.targetPort(ep, port);
          // grpc-java names the listener it wants by the wildcard address and the port, whatever it
          // binds.
          String name = SERVER_LISTENER_PREFIX + "0.0.0.0:" + target;
          if (listeners.stream().noneMatch(l -> l.getName().equals(name))) {
            listeners.add(Listeners.server(name, "0.0.0.0", target, mutual));
          }
        }
      }
    }
    return new Resources(listeners, routes, clusters, endpoints);
  }
}
