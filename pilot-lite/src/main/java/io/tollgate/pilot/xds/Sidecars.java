package io.tollgate.pilot.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLog;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.ratelimit.v3.RateLimitServiceConfig;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.CommonGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.CheckSettings;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.tollgate.pilot.model.Mesh;
import io.tollgate.pilot.model.ServiceEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Configuration for an Envoy sidecar beside one workload (the ServiceEntry host it serves), on the
 * ports its node asks for ({@link SidecarPorts}; by default Istio's 15006 and 15001):
 *
 * <ul>
 *   <li>{@code inbound|<inbound port>} on the inbound address (by default 0.0.0.0): every request
 *       to the workload passes ext_authz, then the global rate limit (descriptors {@code
 *       destination=<host>} and the configured request headers, by default {@code path=<:path>}, in
 *       the wired domain), and is logged to the policy server's access-log service; then it goes to
 *       the application on 127.0.0.1 at the port's target port. The route tells ext_authz which
 *       workload it protects in its per-route context extensions ({@value #DESTINATION_HOST}, and
 *       {@value #DESTINATION_NAMESPACE} when the ServiceEntry has a namespace): configuration,
 *       which a caller cannot forge as it can the Host header;
 *   <li>{@code outbound|<outbound port>} on 127.0.0.1: the workload's calls to the mesh, routed by
 *       the same route tables as proxyless clients (route configuration {@code outbound});
 *   <li>the cluster {@value PolicyWiring#CLUSTER} (HTTP/2) those filters call.
 * </ul>
 *
 * Both listeners normalize request paths as Istio does ({@link PathNormalization}).
 */
public final class Sidecars {
  /** Context extension naming the ServiceEntry host the sidecar's workload serves. */
  public static final String DESTINATION_HOST = "destination.service.host";

  /** Context extension naming that ServiceEntry's namespace. */
  public static final String DESTINATION_NAMESPACE = "destination.service.namespace";

  static final String OUTBOUND_ROUTES = "outbound";

  private Sidecars() {}

  /** The sidecar's own resources; the mesh-wide clusters and endpoints are added by the caller. */
  public static Translator.Resources forWorkload(
      Mesh mesh,
      Translator.Resources shared,
      String host,
      SidecarPorts ports,
      PolicyWiring policy) {
    Mesh.Located<ServiceEntry> entry = mesh.hosts().get(host);
    List<Listener> listeners = new ArrayList<>();
    // Sidecars take the workload certificate by SDS where proxyless clients use a provider
    // instance.
    List<Cluster> clusters = new ArrayList<>();
    for (Cluster c : shared.clusters()) {
      clusters.add(
          c.hasTransportSocket()
              ? c.toBuilder().setTransportSocket(MutualTls.upstream(MutualTls.sidecar())).build()
              : c);
    }
    List<ClusterLoadAssignment> endpoints = new ArrayList<>(shared.endpoints());
    List<RouteConfiguration> routes = new ArrayList<>(shared.routes());
    RouteConfiguration.Builder outbound = RouteConfiguration.newBuilder().setName(OUTBOUND_ROUTES);
    for (RouteConfiguration r : shared.routes()) {
      outbound.addAllVirtualHosts(r.getVirtualHostsList());
    }
    routes.add(outbound.build());
    listeners.add(
        Listeners.onSocket(
            "outbound|" + ports.outboundPort(),
            "127.0.0.1",
            ports.outboundPort(),
            hcm("outbound", policy, false)
                .setRds(
                    Rds.newBuilder()
                        .setConfigSource(Protos.ADS)
                        .setRouteConfigName(OUTBOUND_ROUTES))
                .build(),
            null));
    if (entry != null) {
      ServiceEntry.Port port = entry.resource().spec().ports().get(0);
      int app = Endpoints.targetPort(port);
      String local = "inbound|" + port.number() + "||" + host;
      clusters.add(
          Cluster.newBuilder()
              .setName(local)
              .setType(Cluster.DiscoveryType.STATIC)
              .setLoadAssignment(Endpoints.single(local, "127.0.0.1", app))
              .build());
      Route.Builder toApp =
          Route.newBuilder()
              .setName("inbound")
              .setMatch(RouteMatch.newBuilder().setPrefix("/"))
              .setRoute(RouteAction.newBuilder().setCluster(local));
      if (policy.enabled()) {
        toApp.getRouteBuilder().addRateLimits(rateLimit(host, policy));
        toApp.putTypedPerFilterConfig(
            HttpFilters.EXT_AUTHZ,
            Any.pack(destination(host, entry.resource().metadata().namespace())));
      }
      // With mutual TLS callers must present a workload certificate; Envoy hands the verified
      // identity to ext_authz as source.principal.
      boolean mutual =
          mesh.destinationRules().stream()
              .map(Mesh.Located::resource)
              .anyMatch(
                  dr ->
                      dr.spec().host().equals(host)
                          && MutualTls.istioMutual(dr.spec().trafficPolicy()));
      listeners.add(
          Listeners.onSocket(
              "inbound|" + ports.inboundPort(),
              ports.inboundAddress(),
              ports.inboundPort(),
              hcm("inbound", policy, true)
                  .setRouteConfig(
                      RouteConfiguration.newBuilder()
                          .setName("inbound|" + host)
                          .addVirtualHosts(
                              VirtualHost.newBuilder()
                                  .setName("inbound")
                                  .addDomains("*")
                                  .addRoutes(toApp)))
                  .build(),
              mutual ? MutualTls.downstream(MutualTls.sidecar()) : null));
    }
    if (policy.enabled()) {
      clusters.add(policyCluster(policy));
    }
    return new Translator.Resources(listeners, routes, clusters, endpoints);
  }

  /**
   * The global rate limit's descriptor: {@code destination=<host>}, then one entry per configured
   * request header, sorted by header name.
   */
  private static RateLimit rateLimit(String host, PolicyWiring policy) {
    RateLimit.Builder limit =
        RateLimit.newBuilder()
            .addActions(
                RateLimit.Action.newBuilder()
                    .setGenericKey(
                        RateLimit.Action.GenericKey.newBuilder()
                            .setDescriptorKey("destination")
                            .setDescriptorValue(host)));
    new TreeMap<>(policy.rateLimitHeaders())
        .forEach(
            (header, key) ->
                limit.addActions(
                    RateLimit.Action.newBuilder()
                        .setRequestHeaders(
                            RateLimit.Action.RequestHeaders.newBuilder()
                                .setHeaderName(header)
                                .setDescriptorKey(key))));
    return limit.build();
  }

  /** The cluster {@value PolicyWiring#CLUSTER}: the policy server, over HTTP/2. */
  private static Cluster policyCluster(PolicyWiring policy) {
    return Cluster.newBuilder()
        .setName(PolicyWiring.CLUSTER)
        .setType(Cluster.DiscoveryType.STRICT_DNS)
        .setLoadAssignment(Endpoints.single(PolicyWiring.CLUSTER, policy.host(), policy.port()))
        .putTypedExtensionProtocolOptions(
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            Any.pack(
                HttpProtocolOptions.newBuilder()
                    .setExplicitHttpConfig(
                        HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                    .build()))
        .build();
  }

  private static ExtAuthzPerRoute destination(String host, String namespace) {
    CheckSettings.Builder check =
        CheckSettings.newBuilder().putContextExtensions(DESTINATION_HOST, host);
    if (namespace != null && !namespace.isEmpty()) {
      check.putContextExtensions(DESTINATION_NAMESPACE, namespace);
    }
    return ExtAuthzPerRoute.newBuilder().setCheckSettings(check).build();
  }

  private static HttpConnectionManager.Builder hcm(
      String prefix, PolicyWiring policy, boolean inbound) {
    HttpConnectionManager.Builder hcm =
        PathNormalization.apply(HttpConnectionManager.newBuilder().setStatPrefix(prefix));
    GrpcService policyService =
        GrpcService.newBuilder()
            .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(PolicyWiring.CLUSTER))
            .setTimeout(Protos.duration(policy.timeout()))
            .build();
    if (inbound && policy.enabled()) {
      hcm.addHttpFilters(HttpFilters.extAuthz(policy, policyService));
      hcm.addHttpFilters(
          HttpFilter.newBuilder()
              .setName("envoy.filters.http.ratelimit")
              .setTypedConfig(
                  Any.pack(
                      io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit
                          .newBuilder()
                          .setDomain(policy.rateLimitDomain())
                          .setFailureModeDeny(!policy.failureModeAllow())
                          .setTimeout(Protos.duration(policy.timeout()))
                          .setRateLimitService(
                              RateLimitServiceConfig.newBuilder()
                                  .setGrpcService(policyService)
                                  .setTransportApiVersion(ApiVersion.V3))
                          .build())));
      hcm.addAccessLog(
          AccessLog.newBuilder()
              .setName("envoy.access_loggers.http_grpc")
              .setTypedConfig(
                  Any.pack(
                      HttpGrpcAccessLogConfig.newBuilder()
                          .setCommonConfig(
                              CommonGrpcAccessLogConfig.newBuilder()
                                  .setLogName("tollgate")
                                  .setGrpcService(policyService)
                                  .setTransportApiVersion(ApiVersion.V3))
                          .build())));
    }
    hcm.addHttpFilters(HttpFilters.router());
    return hcm;
  }
}
