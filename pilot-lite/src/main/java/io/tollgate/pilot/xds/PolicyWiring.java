package io.tollgate.pilot.xds;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the policy server is, for the filters pilot-lite puts in front of every route. Envoy
 * sidecars reach it through the cluster {@value #CLUSTER} (HTTP/2 to {@code host:port}) for
 * ext_authz, the global rate limit (domain {@code rateLimitDomain}; descriptor entries {@code
 * destination=<host>} and one per {@code rateLimitHeaders} entry, header to key) and the gRPC
 * access log; proxyless gRPC clients call ext_authz at {@code dns:///host:port} when {@code
 * proxylessExtAuthz}. Checks fail closed unless {@code failureModeAllow}, each with {@code
 * timeout}.
 *
 * <p>Proxyless gRPC clients (grpc-java 1.85, gRFC A92) run ext_authz only with {@code
 * GRPC_EXPERIMENTAL_XDS_EXT_AUTHZ_ON_CLIENT=true} and only for a target listed in their bootstrap's
 * {@code allowed_grpc_services}; the filter is not optional, so a client that cannot run it rejects
 * the configuration instead of skipping authorization.
 */
public record PolicyWiring(
    String host,
    int port,
    boolean failureModeAllow,
    Duration timeout,
    String rateLimitDomain,
    Map<String, String> rateLimitHeaders,
    boolean proxylessExtAuthz) {
  public static final String CLUSTER = "tollgate-policy";

  /**
   * Request headers that become rate-limit descriptor entries unless configured otherwise: the
   * path.
   */
  public static final Map<String, String> DEFAULT_HEADERS = Map.of(":path", "path");

  public static final PolicyWiring NONE =
      new PolicyWiring(null, 0, false, Duration.ofMillis(200), "mesh", DEFAULT_HEADERS, false);

  /** {@code HOST:PORT}, or empty for none; descriptors from {@link #DEFAULT_HEADERS}. */
  public static PolicyWiring of(
      String address, boolean failureModeAllow, Duration timeout, String rateLimitDomain) {
    return of(address, failureModeAllow, timeout, rateLimitDomain, List.of());
  }

  /**
   * As {@link #of(String, boolean, Duration, String)}, with descriptor entries from request headers
   * written {@code HEADER=KEY} (e.g. {@code x-tenant=tenant}); none given means {@link
   * #DEFAULT_HEADERS}.
   */
  public static PolicyWiring of(
      String address,
      boolean failureModeAllow,
      Duration timeout,
      String rateLimitDomain,
      List<String> headerDescriptors) {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h : headerDescriptors) {
      int eq = h.indexOf('=');
      if (eq <= 0 || eq == h.length() - 1) {
        throw new IllegalArgumentException(
            "a rate-limit descriptor is HEADER=KEY (e.g. x-tenant=tenant), not '" + h + "'");
      }
      headers.put(h.substring(0, eq).toLowerCase(java.util.Locale.ROOT), h.substring(eq + 1));
    }
    Map<String, String> descriptors = headers.isEmpty() ? DEFAULT_HEADERS : Map.copyOf(headers);
    if (address == null || address.isBlank()) {
      return new PolicyWiring(
          null, 0, failureModeAllow, timeout, rateLimitDomain, descriptors, false);
    }
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(
          "the policy server address must be HOST:PORT, not '" + address + "'");
    }
    return new PolicyWiring(
        address.substring(0, colon),
        Integer.parseInt(address.substring(colon + 1)),
        failureModeAllow,
        timeout,
        rateLimitDomain,
        descriptors,
        false);
  }

  /**
   * Also put ext_authz on proxyless gRPC routes. Off unless asked for: grpc-java 1.85.1 rejects the
   * listener without {@code GRPC_EXPERIMENTAL_XDS_EXT_AUTHZ_ON_CLIENT}, and with it cancels the
   * calls the policy allows (see the README).
   */
  public PolicyWiring withProxylessExtAuthz(boolean on) {
    return new PolicyWiring(
        host, port, failureModeAllow, timeout, rateLimitDomain, rateLimitHeaders, on);
  }

  public boolean enabled() {
    return host != null && !host.isBlank();
  }

  public String extAuthzTarget() {
    return "dns:///" + host + ":" + port;
  }
}
