package io.tollgate.server.it;

import static io.tollgate.testing.EnvoyConfigs.grpcCluster;
import static io.tollgate.testing.EnvoyConfigs.httpCluster;
import static io.tollgate.testing.EnvoyConfigs.listener;

import io.tollgate.testing.EnvoyConfigs;
import io.tollgate.testing.FreePorts;

/**
 * {@code EnvoyFront} writes the bootstrap of the Envoy that the soak and fault runs send their load
 * through: one listener (stats under {@code http.front.}) whose requests pass ext_authz (gRPC, V3,
 * {@code failure_mode_allow: false}), then optionally the global rate limit (domain {@code soak}, a
 * {@code generic_key} descriptor, {@code failure_mode_deny: true}, so that a rate-limit call
 * Tollgate does not answer shows as a 500 to the client) and Envoy's gRPC access log, all to one
 * policy server, and then the upstream: a second listener of the same Envoy answering 200 itself
 * ({@code direct_response}), so that the load measures the policy server's path and no upstream of
 * its own (the JDK's HttpServer, without {@code TCP_NODELAY}, adds 40 ms per request).
 */
final class EnvoyFront {
  /** The parts of the front listener, to turn on or off per run. */
  record Parts(boolean rateLimit, boolean accessLog) {
    static final Parts ALL = new Parts(true, true);
    static final Parts AUTHZ_ONLY = new Parts(false, false);
  }

  private EnvoyFront() {}

  /**
   * A bootstrap with the front listener on {@code listenPort} to the policy server's gRPC port
   * {@code tollgatePort}; {@code timeout} (Envoy's duration syntax, e.g. {@code 1s}) is the
   * deadline of the ext_authz and rate-limit calls.
   */
  static String bootstrap(int listenPort, int tollgatePort, String timeout, Parts parts) {
    int upstreamPort = FreePorts.next();
    String accessLog =
        parts.accessLog()
            ? """
              access_log:
              - name: envoy.access_loggers.http_grpc
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig
                  common_config:
                    log_name: front
                    transport_api_version: V3
                    buffer_flush_interval: 0.1s
                    grpc_service: {envoy_grpc: {cluster_name: tollgate}}
              """
            : "";
    String filters =
        """
        - name: envoy.filters.http.ext_authz
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
            transport_api_version: V3
            failure_mode_allow: false
            grpc_service:
              envoy_grpc: {cluster_name: tollgate}
              timeout: %s
        """
            .formatted(timeout);
    if (parts.rateLimit()) {
      filters +=
          """
          - name: envoy.filters.http.ratelimit
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit
              domain: soak
              timeout: %s
              failure_mode_deny: true
              rate_limit_service:
                transport_api_version: V3
                grpc_service: {envoy_grpc: {cluster_name: tollgate}}
          """
              .formatted(timeout);
    }
    String routes =
        parts.rateLimit()
            ? """
              - match: {prefix: "/"}
                route:
                  cluster: upstream
                  rate_limits:
                  - actions: [{generic_key: {descriptor_value: soak}}]
                  - actions: [{request_headers: {header_name: x-tenant, descriptor_key: tenant}}]
              """
            : EnvoyConfigs.routeAll("upstream");
    return EnvoyConfigs.staticBootstrap(
        listener("front", listenPort, accessLog, filters, routes)
            + listener(
                "backend",
                upstreamPort,
                "",
                "- match: {prefix: \"/\"}\n  direct_response: {status: 200, body: {inline_string: ok}}\n"),
        grpcCluster("tollgate", tollgatePort) + httpCluster("upstream", upstreamPort));
  }

  /**
   * Rate limits in envoyproxy/ratelimit's format for the front's descriptors, high enough that the
   * load never reaches them: the run measures availability, not limiting.
   */
  static final String LIMITS =
      """
      domain: soak
      descriptors:
        - key: generic_key
          value: soak
          rate_limit: {unit: second, requests_per_unit: 1000000, name: soak}
        - key: tenant
          rate_limit: {unit: second, requests_per_unit: 1000000, name: per-tenant}
      """;
}
