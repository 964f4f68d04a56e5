package io.tollgate.pilot.xds;

import java.time.Duration;

/**
 * Where the policy server is, for the filters pilot-lite puts in front of every route: ext_authz
 * over gRPC to {@code extAuthzTarget} (a gRPC target URI such as {@code dns:///policy.tollgate:9091}),
 * failing closed unless {@code failureModeAllow}, with {@code timeout} per check.
 *
 * <p>Proxyless gRPC clients (grpc-java 1.85, gRFC A92) run this filter only with
 * {@code GRPC_EXPERIMENTAL_XDS_EXT_AUTHZ_ON_CLIENT=true} and only for a target listed in their
 * bootstrap's {@code allowed_grpc_services} (or from a {@code trusted_xds_server}); the filter is
 * not optional, so a client that cannot run it rejects the configuration instead of skipping
 * authorization.
 */
public record PolicyWiring(String extAuthzTarget, boolean failureModeAllow, Duration timeout) {
  public static final PolicyWiring NONE = new PolicyWiring(null, false, Duration.ofMillis(200));

  public boolean extAuthz() {
    return extAuthzTarget != null && !extAuthzTarget.isBlank();
  }
}
