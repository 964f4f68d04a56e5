package io.tollgate.pilot.xds;

import java.time.Duration;

/**
 * Where the policy server is, for the filters pilot-lite puts in front of every route. Envoy
 * sidecars reach it through the cluster {@value #CLUSTER} (HTTP/2 to {@code host:port}) for
 * ext_authz, the global rate limit (domain {@code rateLimitDomain}) and the gRPC access log;
 * proxyless gRPC clients call ext_authz at {@code dns:///host:port}. Checks fail closed unless
 * {@code failureModeAllow}, each with {@code timeout}.
 *
 * <p>Proxyless gRPC clients (grpc-java 1.85, gRFC A92) run ext_authz only with
 * {@code GRPC_EXPERIMENTAL_XDS_EXT_AUTHZ_ON_CLIENT=true} and only for a target listed in their
 * bootstrap's {@code allowed_grpc_services}; the filter is not optional, so a client that cannot
 * run it rejects the configuration instead of skipping authorization.
 */
public record PolicyWiring(String host, int port, boolean failureModeAllow, Duration timeout, String rateLimitDomain) {
  public static final String CLUSTER = "tollgate-policy";
  public static final PolicyWiring NONE = new PolicyWiring(null, 0, false, Duration.ofMillis(200), "mesh");

  /** {@code HOST:PORT}, or empty for none. */
  public static PolicyWiring of(String address, boolean failureModeAllow, Duration timeout, String rateLimitDomain) {
    if (address == null || address.isBlank()) {
      return new PolicyWiring(null, 0, failureModeAllow, timeout, rateLimitDomain);
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("the policy server address must be HOST:PORT, not '" + address + "'");
    }
    return new PolicyWiring(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)), failureModeAllow, timeout,
        rateLimitDomain);
  }

  public boolean enabled() {
    return host != null && !host.isBlank();
  }

  public String extAuthzTarget() {
    return "dns:///" + host + ":" + port;
  }
}
