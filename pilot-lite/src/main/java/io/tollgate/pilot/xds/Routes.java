package io.tollgate.pilot.xds;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.tollgate.common.config.Durations;
import io.tollgate.pilot.model.ServiceEntry;
import io.tollgate.pilot.model.VirtualService;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Routes} builds the route configuration of a ServiceEntry host and port: one route per
 * match of each of the VirtualService's http routes (one default route to the host's cluster when
 * there are none), each with its destinations by weight, timeout, retries, rewrites and fault.
 */
final class Routes {
  /** What a route retries on when its VirtualService names nothing. */
  static final String RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,5xx";

  private static final VirtualService.Match ANY =
      new VirtualService.Match(null, null, null, null, null, null);

  private Routes() {}

  /**
   * The route configuration {@code name} ({@code <host>:<port>}), one virtual host answering to
   * {@code host} and {@code name}; {@code vs} is the host's VirtualService, or null.
   */
  static RouteConfiguration configuration(
      String name, String host, ServiceEntry.Port port, VirtualService vs) {
    return RouteConfiguration.newBuilder()
        .setName(name)
        .addVirtualHosts(
            VirtualHost.newBuilder()
                .setName(name)
                .addDomains(host)
                .addDomains(name)
                .addAllRoutes(routes(host, port, vs)))
        .build();
  }

  private static List<Route> routes(String host, ServiceEntry.Port port, VirtualService vs) {
    List<Route> out = new ArrayList<>();
    if (vs != null && vs.spec().http() != null) {
      for (VirtualService.HttpRoute r : vs.spec().http()) {
        List<VirtualService.Match> matches =
            r.match() == null || r.match().isEmpty() ? List.of(ANY) : r.match();
        for (VirtualService.Match m : matches) {
          out.add(route(r, m, port));
        }
      }
    }
    if (out.isEmpty()) {
      out.add(
          Route.newBuilder()
              .setName("default")
              .setMatch(RouteMatch.newBuilder().setPrefix("/"))
              .setRoute(
                  RouteAction.newBuilder()
                      .setCluster(Translator.clusterName(port.number(), null, host)))
              .build());
    }
    return out;
  }

  private static Route route(
      VirtualService.HttpRoute r, VirtualService.Match m, ServiceEntry.Port port) {
    Route.Builder route =
        Route.newBuilder()
            .setName(r.name() == null ? "" : r.name())
            .setMatch(RouteMatches.of(m))
            .setRoute(action(r, port));
    if (r.fault() != null) {
      route.putTypedPerFilterConfig(HttpFilters.FAULT, Any.pack(Faults.of(r.fault())));
    }
    return route.build();
  }

  private static RouteAction action(VirtualService.HttpRoute r, ServiceEntry.Port port) {
    RouteAction.Builder action = RouteAction.newBuilder();
    List<VirtualService.Destination> dests = r.route();
    if (dests.size() == 1) {
      action.setCluster(cluster(dests.get(0).destination(), port));
    } else {
      WeightedCluster.Builder wc = WeightedCluster.newBuilder();
      for (VirtualService.Destination d : dests) {
        if (d.weight() != null && d.weight() > 0) {
          wc.addClusters(
              WeightedCluster.ClusterWeight.newBuilder()
                  .setName(cluster(d.destination(), port))
                  .setWeight(UInt32Value.of(d.weight())));
        }
      }
      action.setWeightedClusters(wc);
    }
    if (r.timeout() != null) {
      var timeout = Protos.duration(Durations.parse(r.timeout()));
      action.setTimeout(timeout);
      // gRPC clients read the deadline from max_stream_duration, Envoy from timeout.
      action.setMaxStreamDuration(
          RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(timeout));
    }
    if (r.retries() != null && r.retries().attempts() > 0) {
      RetryPolicy.Builder retry =
          RetryPolicy.newBuilder()
              .setRetryOn(r.retries().retryOn() == null ? RETRY_ON : r.retries().retryOn())
              .setNumRetries(UInt32Value.of(r.retries().attempts()));
      if (r.retries().perTryTimeout() != null) {
        retry.setPerTryTimeout(Protos.duration(Durations.parse(r.retries().perTryTimeout())));
      }
      action.setRetryPolicy(retry);
    }
    if (r.rewrite() != null) {
      if (r.rewrite().uri() != null) {
        action.setPrefixRewrite(r.rewrite().uri());
      }
      if (r.rewrite().authority() != null) {
        action.setHostRewriteLiteral(r.rewrite().authority());
      }
    }
    return action.build();
  }

  /** The cluster of a destination: its port, or else the route's. */
  private static String cluster(VirtualService.Target t, ServiceEntry.Port port) {
    return Translator.clusterName(
        t.port() != null ? t.port().number() : port.number(), t.subset(), t.host());
  }
}
