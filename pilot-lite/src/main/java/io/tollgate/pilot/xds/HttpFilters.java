package io.tollgate.pilot.xds;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;

/**
 * {@code HttpFilters} builds the HTTP filters pilot-lite puts in its connection managers, and names
 * them for the per-route configuration that refers to them: fault injection, ext_authz to the
 * policy server and the router, which every chain ends with.
 */
final class HttpFilters {
  static final String FAULT = "envoy.filters.http.fault";
  static final String EXT_AUTHZ = "envoy.filters.http.ext_authz";
  static final String ROUTER = "envoy.filters.http.router";

  private HttpFilters() {}

  /** Fault injection with no fault of its own: routes bring theirs (see {@link Faults}). */
  static HttpFilter fault() {
    return HttpFilter.newBuilder()
        .setName(FAULT)
        .setTypedConfig(Any.pack(HTTPFault.getDefaultInstance()))
        .build();
  }

  /** ext_authz calling {@code service}; fails closed unless the wiring allows failure. */
  static HttpFilter extAuthz(PolicyWiring policy, GrpcService service) {
    return HttpFilter.newBuilder()
        .setName(EXT_AUTHZ)
        .setTypedConfig(
            Any.pack(
                ExtAuthz.newBuilder()
                    .setTransportApiVersion(ApiVersion.V3)
                    .setFailureModeAllow(policy.failureModeAllow())
                    .setGrpcService(service)
                    .build()))
        .build();
  }

  static HttpFilter router() {
    return HttpFilter.newBuilder()
        .setName(ROUTER)
        .setTypedConfig(Any.pack(Router.getDefaultInstance()))
        .build();
  }
}
