package io.tollgate.pilot.xds;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.QueryParameterMatcher;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.grpc.Status;
import io.tollgate.pilot.model.DestinationRule;
import io.tollgate.pilot.model.Durations;
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
 * outbound|<port>|<subset>|<host>} (Istio's names) with their endpoints; a route configuration
 * {@code <host>:<port>} from the VirtualService's http routes (or one default route); and an API
 * listener {@code <host>:<port>}, the name a proxyless gRPC client resolves for {@code
 * xds:///<host>:<port>}, whose HTTP filters are fault injection, ext_authz to the policy server
 * (when {@link PolicyWiring} asks for it on proxyless routes) and the router; and, for every
 * endpoint, the server listener a proxyless gRPC server on that address asks for.
 */
public final class Translator {
  static final String FAULT_FILTER = "envoy.filters.http.fault";
  static final String ROUTER_FILTER = "envoy.filters.http.router";
  static final String EXT_AUTHZ_FILTER = "envoy.filters.http.ext_authz";
  static final ConfigSource ADS =
      ConfigSource.newBuilder()
          .setAds(AggregatedConfigSource.getDefaultInstance())
          .setResourceApiVersion(ApiVersion.V3)
          .build();

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
          addClusters(host, port, se, dr, clusters, endpoints);
          String name = host + ":" + port.number();
          routes.add(
              RouteConfiguration.newBuilder()
                  .setName(name)
                  .addVirtualHosts(
                      VirtualHost.newBuilder()
                          .setName(name)
                          .addDomains(host)
                          .addDomains(name)
                          .addAllRoutes(routesFor(host, port, se, services.get(host))))
                  .build());
          listeners.add(apiListener(name, policy));
        }
      }
      boolean mutual =
          se.hosts().stream()
              .map(rules::get)
              .anyMatch(dr -> dr != null && MutualTls.istioMutual(dr.spec().trafficPolicy()));
      for (ServiceEntry.Endpoint ep :
          se.endpoints() == null ? List.<ServiceEntry.Endpoint>of() : se.endpoints()) {
        for (ServiceEntry.Port port : se.ports()) {
          int target =
              ep.ports() != null && ep.ports().containsKey(port.name())
                  ? ep.ports().get(port.name())
                  : port.targetPort() != null ? port.targetPort() : port.number();
          // grpc-java names the listener it wants by the wildcard address and the port, whatever it
          // binds.
          String name = SERVER_LISTENER_PREFIX + "0.0.0.0:" + target;
          if (listeners.stream().noneMatch(l -> l.getName().equals(name))) {
            listeners.add(serverListener(name, "0.0.0.0", target, mutual));
          }
        }
      }
    }
    return new Resources(listeners, routes, clusters, endpoints);
  }

  /**
   * The listener a proxyless gRPC server ({@code XdsServerBuilder}) asks for, with the bootstrap's
   * {@code server_listener_resource_name_template} set to {@code
   * grpc/server?xds.resource.listening_address=%s}.
   */
  public static final String SERVER_LISTENER_PREFIX = "grpc/server?xds.resource.listening_address=";

  private static Listener serverListener(String name, String address, int port, boolean mutual) {
    HttpConnectionManager hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix("inbound")
            .setRouteConfig(
                RouteConfiguration.newBuilder()
                    .setName("inbound|" + address + ":" + port)
                    .addVirtualHosts(
                        VirtualHost.newBuilder()
                            .setName("inbound")
                            .addDomains("*")
                            .addRoutes(
                                Route.newBuilder()
                                    .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                    .setNonForwardingAction(
                                        io.envoyproxy.envoy.config.route.v3.NonForwardingAction
                                            .getDefaultInstance()))))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName(ROUTER_FILTER)
                    .setTypedConfig(Any.pack(Router.getDefaultInstance())))
            .build();
    return Listener.newBuilder()
        .setName(name)
        .setAddress(
            io.envoyproxy.envoy.config.core.v3.Address.newBuilder()
                .setSocketAddress(
                    SocketAddress.newBuilder().setAddress(address).setPortValue(port)))
        .addFilterChains(serverChain(hcm, mutual))
        .build();
  }

  private static io.envoyproxy.envoy.config.listener.v3.FilterChain serverChain(
      HttpConnectionManager hcm, boolean mutual) {
    var chain =
        io.envoyproxy.envoy.config.listener.v3.FilterChain.newBuilder()
            .addFilters(
                io.envoyproxy.envoy.config.listener.v3.Filter.newBuilder()
                    .setName("envoy.filters.network.http_connection_manager")
                    .setTypedConfig(Any.pack(hcm)));
    if (mutual) {
      chain.setTransportSocket(MutualTls.downstream(MutualTls.proxyless()));
    }
    return chain.build();
  }

  private static Listener apiListener(String name, PolicyWiring policy) {
    HttpConnectionManager.Builder hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(name)
            .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(name))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName(FAULT_FILTER)
                    .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance())));
    if (policy.enabled() && policy.proxylessExtAuthz()) {
      hcm.addHttpFilters(
          HttpFilter.newBuilder()
              .setName(EXT_AUTHZ_FILTER)
              .setTypedConfig(
                  Any.pack(
                      ExtAuthz.newBuilder()
                          .setTransportApiVersion(ApiVersion.V3)
                          .setFailureModeAllow(policy.failureModeAllow())
                          .setGrpcService(
                              GrpcService.newBuilder()
                                  .setGoogleGrpc(
                                      GrpcService.GoogleGrpc.newBuilder()
                                          .setTargetUri(policy.extAuthzTarget())
                                          .setStatPrefix("tollgate"))
                                  .setTimeout(proto(policy.timeout())))
                          .build())));
    }
    hcm.addHttpFilters(
        HttpFilter.newBuilder()
            .setName(ROUTER_FILTER)
            .setTypedConfig(Any.pack(Router.getDefaultInstance())));
    return Listener.newBuilder()
        .setName(name)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm.build())))
        .build();
  }

  private static void addClusters(
      String host,
      ServiceEntry.Port port,
      ServiceEntry.Spec se,
      DestinationRule dr,
      List<Cluster> clusters,
      List<ClusterLoadAssignment> endpoints) {
    DestinationRule.TrafficPolicy hostPolicy = dr == null ? null : dr.spec().trafficPolicy();
    clusters.add(cluster(clusterName(port.number(), null, host), hostPolicy));
    endpoints.add(assignment(clusterName(port.number(), null, host), port, se, Map.of()));
    if (dr != null && dr.spec().subsets() != null) {
      for (DestinationRule.Subset subset : dr.spec().subsets()) {
        String name = clusterName(port.number(), subset.name(), host);
        clusters.add(
            cluster(name, subset.trafficPolicy() != null ? subset.trafficPolicy() : hostPolicy));
        endpoints.add(
            assignment(name, port, se, subset.labels() == null ? Map.of() : subset.labels()));
      }
    }
  }

  private static Cluster cluster(String name, DestinationRule.TrafficPolicy policy) {
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName(name)
            .setType(Cluster.DiscoveryType.EDS)
            .setEdsClusterConfig(
                Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS).setServiceName(name))
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
      CircuitBreakers.Thresholds.Builder t =
          CircuitBreakers.Thresholds.newBuilder().setPriority(RoutingPriority.DEFAULT);
      if (pool.tcp() != null && pool.tcp().maxConnections() != null) {
        t.setMaxConnections(UInt32Value.of(pool.tcp().maxConnections()));
      }
      if (pool.tcp() != null && pool.tcp().connectTimeout() != null) {
        c.setConnectTimeout(proto(Durations.parse(pool.tcp().connectTimeout())));
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
      c.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(t));
    }
    var od = policy.outlierDetection();
    if (od != null) {
      OutlierDetection.Builder o = OutlierDetection.newBuilder();
      if (od.consecutive5xxErrors() != null) {
        o.setConsecutive5Xx(UInt32Value.of(od.consecutive5xxErrors()));
      }
      if (od.consecutiveGatewayErrors() != null) {
        o.setConsecutiveGatewayFailure(UInt32Value.of(od.consecutiveGatewayErrors()));
      }
      if (od.interval() != null) {
        o.setInterval(proto(Durations.parse(od.interval())));
      }
      if (od.baseEjectionTime() != null) {
        o.setBaseEjectionTime(proto(Durations.parse(od.baseEjectionTime())));
      }
      if (od.maxEjectionPercent() != null) {
        o.setMaxEjectionPercent(UInt32Value.of(od.maxEjectionPercent()));
      }
      c.setOutlierDetection(o);
    }
    return c.build();
  }

  private static ClusterLoadAssignment assignment(
      String name, ServiceEntry.Port port, ServiceEntry.Spec se, Map<String, String> labels) {
    LocalityLbEndpoints.Builder locality =
        LocalityLbEndpoints.newBuilder().setLoadBalancingWeight(UInt32Value.of(1));
    for (ServiceEntry.Endpoint ep :
        se.endpoints() == null ? List.<ServiceEntry.Endpoint>of() : se.endpoints()) {
      Map<String, String> epLabels = ep.labels() == null ? Map.of() : ep.labels();
      if (!epLabels.entrySet().containsAll(labels.entrySet())) {
        continue;
      }
      int target =
          ep.ports() != null && ep.ports().containsKey(port.name())
              ? ep.ports().get(port.name())
              : port.targetPort() != null ? port.targetPort() : port.number();
      LbEndpoint.Builder lb =
          LbEndpoint.newBuilder()
              .setEndpoint(
                  Endpoint.newBuilder()
                      .setAddress(
                          io.envoyproxy.envoy.config.core.v3.Address.newBuilder()
                              .setSocketAddress(
                                  SocketAddress.newBuilder()
                                      .setAddress(ep.address())
                                      .setPortValue(target))));
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

  private static List<Route> routesFor(
      String host, ServiceEntry.Port port, ServiceEntry.Spec se, VirtualService vs) {
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
              .setRoute(RouteAction.newBuilder().setCluster(clusterName(port.number(), null, host)))
              .build());
    }
    return out;
  }

  private static final VirtualService.Match ANY =
      new VirtualService.Match(null, null, null, null, null, null);

  private static Route route(
      VirtualService.HttpRoute r, VirtualService.Match m, ServiceEntry.Port port) {
    RouteMatch.Builder match = RouteMatch.newBuilder();
    if (m.uri() == null) {
      match.setPrefix("/");
    } else if (m.uri().exact() != null) {
      match.setPath(m.uri().exact());
    } else if (m.uri().prefix() != null) {
      match.setPrefix(m.uri().prefix());
    } else {
      match.setSafeRegex(RegexMatcher.newBuilder().setRegex(m.uri().regex()));
    }
    if (Boolean.TRUE.equals(m.ignoreUriCase())) {
      match.setCaseSensitive(com.google.protobuf.BoolValue.of(false));
    }
    if (m.method() != null) {
      match.addHeaders(
          HeaderMatcher.newBuilder().setName(":method").setStringMatch(string(m.method())));
    }
    if (m.headers() != null) {
      m.headers()
          .forEach(
              (k, v) ->
                  match.addHeaders(
                      HeaderMatcher.newBuilder().setName(k).setStringMatch(string(v))));
    }
    if (m.queryParams() != null) {
      m.queryParams()
          .forEach(
              (k, v) ->
                  match.addQueryParameters(
                      QueryParameterMatcher.newBuilder().setName(k).setStringMatch(string(v))));
    }
    RouteAction.Builder action = RouteAction.newBuilder();
    List<VirtualService.Destination> dests = r.route();
    if (dests.size() == 1) {
      action.setCluster(destinationCluster(dests.get(0).destination(), port));
    } else {
      WeightedCluster.Builder wc = WeightedCluster.newBuilder();
      for (VirtualService.Destination d : dests) {
        if (d.weight() != null && d.weight() > 0) {
          wc.addClusters(
              WeightedCluster.ClusterWeight.newBuilder()
                  .setName(destinationCluster(d.destination(), port))
                  .setWeight(UInt32Value.of(d.weight())));
        }
      }
      action.setWeightedClusters(wc);
    }
    if (r.timeout() != null) {
      var timeout = proto(Durations.parse(r.timeout()));
      action.setTimeout(timeout);
      // gRPC clients read the deadline from max_stream_duration, Envoy from timeout.
      action.setMaxStreamDuration(
          RouteAction.MaxStreamDuration.newBuilder().setMaxStreamDuration(timeout));
    }
    if (r.retries() != null && r.retries().attempts() > 0) {
      RetryPolicy.Builder retry =
          RetryPolicy.newBuilder()
              .setRetryOn(
                  r.retries().retryOn() == null
                      ? "connect-failure,refused-stream,unavailable,cancelled,5xx"
                      : r.retries().retryOn())
              .setNumRetries(UInt32Value.of(r.retries().attempts()));
      if (r.retries().perTryTimeout() != null) {
        retry.setPerTryTimeout(proto(Durations.parse(r.retries().perTryTimeout())));
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
    Route.Builder route =
        Route.newBuilder()
            .setName(r.name() == null ? "" : r.name())
            .setMatch(match)
            .setRoute(action);
    if (r.fault() != null) {
      route.putTypedPerFilterConfig(FAULT_FILTER, Any.pack(fault(r.fault())));
    }
    return route.build();
  }

  private static HTTPFault fault(VirtualService.Fault f) {
    HTTPFault.Builder b = HTTPFault.newBuilder();
    if (f.delay() != null) {
      b.setDelay(
          FaultDelay.newBuilder()
              .setFixedDelay(proto(Durations.parse(f.delay().fixedDelay())))
              .setPercentage(percent(f.delay().percentage())));
    }
    if (f.abort() != null) {
      FaultAbort.Builder a = FaultAbort.newBuilder().setPercentage(percent(f.abort().percentage()));
      if (f.abort().grpcStatus() != null) {
        a.setGrpcStatus(Status.Code.valueOf(f.abort().grpcStatus()).value());
      } else {
        a.setHttpStatus(f.abort().httpStatus());
      }
      b.setAbort(a);
    }
    return b.build();
  }

  /** Percentages to a millionth: 0.1% is 1,000 per million. */
  private static FractionalPercent percent(VirtualService.Percent p) {
    double value = p == null ? 100 : p.value();
    return FractionalPercent.newBuilder()
        .setNumerator((int) Math.round(value * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }

  private static String destinationCluster(VirtualService.Target t, ServiceEntry.Port port) {
    return clusterName(t.port() != null ? t.port().number() : port.number(), t.subset(), t.host());
  }

  private static StringMatcher string(VirtualService.StringMatch m) {
    if (m.exact() != null) {
      return StringMatcher.newBuilder().setExact(m.exact()).build();
    }
    if (m.prefix() != null) {
      return StringMatcher.newBuilder().setPrefix(m.prefix()).build();
    }
    return StringMatcher.newBuilder()
        .setSafeRegex(RegexMatcher.newBuilder().setRegex(m.regex()))
        .build();
  }

  static com.google.protobuf.Duration proto(java.time.Duration d) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds())
        .setNanos(d.getNano())
        .build();
  }
}
