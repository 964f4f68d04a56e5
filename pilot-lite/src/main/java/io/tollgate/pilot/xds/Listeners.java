package io.tollgate.pilot.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.NonForwardingAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;

/**
 * {@code Listeners} builds listeners: the API listener a proxyless gRPC client resolves, the server
 * listener a proxyless gRPC server asks for, and the socket listener with one HTTP connection
 * manager that the server listener and the sidecars' listeners are.
 */
final class Listeners {
  static final String HTTP_CONNECTION_MANAGER = "envoy.filters.network.http_connection_manager";

  private Listeners() {}

  /**
   * The listener {@code <host>:<port>} a proxyless client resolves for {@code
   * xds:///<host>:<port>}: its routes by RDS under the same name; fault injection, ext_authz to the
   * policy server (when {@link PolicyWiring} asks for it on proxyless routes) and the router.
   */
  static Listener api(String name, PolicyWiring policy) {
    HttpConnectionManager.Builder hcm =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(name)
            .setRds(Rds.newBuilder().setConfigSource(Protos.ADS).setRouteConfigName(name))
            .addHttpFilters(HttpFilters.fault());
    if (policy.enabled() && policy.proxylessExtAuthz()) {
      hcm.addHttpFilters(
          HttpFilters.extAuthz(
              policy,
              GrpcService.newBuilder()
                  .setGoogleGrpc(
                      GrpcService.GoogleGrpc.newBuilder()
                          .setTargetUri(policy.extAuthzTarget())
                          .setStatPrefix("tollgate"))
                  .setTimeout(Protos.duration(policy.timeout()))
                  .build()));
    }
    hcm.addHttpFilters(HttpFilters.router());
    return Listener.newBuilder()
        .setName(name)
        .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(hcm.build())))
        .build();
  }

  /**
   * The listener a proxyless gRPC server ({@code XdsServerBuilder}) on {@code address:port} asks
   * for: every request served where it arrives; with {@code mutual}, only from callers with a
   * workload certificate.
   */
  static Listener server(String name, String address, int port, boolean mutual) {
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
                                        NonForwardingAction.getDefaultInstance()))))
            .addHttpFilters(HttpFilters.router())
            .build();
    return onSocket(
        name, address, port, hcm, mutual ? MutualTls.downstream(MutualTls.proxyless()) : null);
  }

  /**
   * A listener on {@code address:port} with one filter chain: {@code hcm}, behind {@code tls}
   * unless that is null.
   */
  static Listener onSocket(
      String name, String address, int port, HttpConnectionManager hcm, TransportSocket tls) {
    FilterChain.Builder chain =
        FilterChain.newBuilder()
            .addFilters(
                Filter.newBuilder().setName(HTTP_CONNECTION_MANAGER).setTypedConfig(Any.pack(hcm)));
    if (tls != null) {
      chain.setTransportSocket(tls);
    }
    return Listener.newBuilder()
        .setName(name)
        .setAddress(Protos.address(address, port))
        .addFilterChains(chain)
        .build();
  }
}
