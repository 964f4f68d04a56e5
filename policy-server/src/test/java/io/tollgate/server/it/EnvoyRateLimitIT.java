package io.tollgate.server.it;

import static io.tollgate.testing.EnvoyConfigs.grpcCluster;
import static io.tollgate.testing.EnvoyConfigs.httpCluster;
import static io.tollgate.testing.EnvoyConfigs.listener;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.server.ServerConfig;
import io.tollgate.testing.Closeables;
import io.tollgate.testing.EchoUpstream;
import io.tollgate.testing.EnvoyConfigs;
import io.tollgate.testing.EnvoyLauncher;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.ProxyClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's {@code envoy.filters.http.ratelimit} against Tollgate's RLS: descriptors made by the
 * route's {@code rate_limits} actions (remote_address, request_headers, generic_key), exactly the
 * limit passes and then 429 with {@code x-envoy-ratelimited} and the RateLimit-* headers, {@code
 * shadow_mode}, and {@code failure_mode_deny} with the service down.
 */
class EnvoyRateLimitIT {
  static final String LIMITS =
      """
      domain: edge
      descriptors:
        - key: remote_address
          rate_limit: {unit: hour, requests_per_unit: 4, name: per-address}
        - key: api_key
          rate_limit: {unit: hour, requests_per_unit: 3, name: per-key}
        - key: generic_key
          value: checkout
          rate_limit: {unit: hour, requests_per_unit: 2, name: checkout}
        - key: tenant
          shadow_mode: true
          rate_limit: {unit: hour, requests_per_unit: 1, name: per-tenant}
      """;

  @TempDir static Path dir;
  static TestServer ts;
  static EchoUpstream upstream;
  static EnvoyLauncher envoy;
  static int port;
  static int downAllow;
  static int downDeny;

  static String rateLimit(String cluster, boolean failureModeDeny) {
    return """
        - name: envoy.filters.http.ratelimit
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit
            domain: edge
            timeout: 0.25s
            failure_mode_deny: %s
            rate_limit_service:
              transport_api_version: V3
              grpc_service: {envoy_grpc: {cluster_name: %s}}
        """
        .formatted(failureModeDeny, cluster);
  }

  static final String ROUTES =
      """
      - match: {prefix: "/by-address"}
        route:
          cluster: upstream
          rate_limits: [{actions: [{remote_address: {}}]}]
      - match: {prefix: "/by-key"}
        route:
          cluster: upstream
          rate_limits: [{actions: [{request_headers: {header_name: x-api-key, descriptor_key: api_key}}]}]
      - match: {prefix: "/checkout"}
        route:
          cluster: upstream
          rate_limits: [{actions: [{generic_key: {descriptor_value: checkout}}]}]
      - match: {prefix: "/by-tenant"}
        route:
          cluster: upstream
          rate_limits: [{actions: [{request_headers: {header_name: x-tenant, descriptor_key: tenant}}]}]
      """;

  @BeforeAll
  static void start() throws Exception {
    TestServer.itPolicy(dir);
    Files.writeString(dir.resolve("limits.yaml"), LIMITS);
    ServerConfig c = TestServer.config(dir, TestServer.testPlugins(), Duration.ZERO);
    ServerConfig.Quota q = c.quota();
    ts =
        TestServer.start(
            c.withQuota(
                new ServerConfig.Quota(
                    q.clusterName(),
                    q.port(),
                    q.members(),
                    q.kubernetesServiceDns(),
                    q.client(),
                    q.timeout(),
                    q.failureDeny(),
                    true)));
    upstream = new EchoUpstream();
    port = FreePorts.next();
    downAllow = FreePorts.next();
    downDeny = FreePorts.next();
    String remote = "use_remote_address: true";
    envoy =
        EnvoyLauncher.start(
            EnvoyConfigs.staticBootstrap(
                listener("rl", port, remote, rateLimit("tollgate", false), ROUTES)
                    + listener(
                        "rl_down_allow", downAllow, remote, rateLimit("nobody", false), ROUTES)
                    + listener("rl_down_deny", downDeny, remote, rateLimit("nobody", true), ROUTES),
                grpcCluster("tollgate", ts.server.grpcPort())
                    + grpcCluster("nobody", FreePorts.next())
                    + httpCluster("upstream", upstream.port())));
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(envoy, upstream, ts);
  }

  /** Sends {@code limit + 1} requests: exactly {@code limit} pass, then 429 with the headers. */
  static void exactlyTheLimitPasses(int limit, String path, String... headers) {
    for (int i = 1; i <= limit; i++) {
      HttpResponse<String> ok = ProxyClient.get(port, "shop", path, headers);
      assertThat(ok.statusCode())
          .as("request %d of %d on %s: %s\n%s", i, limit, path, ok.body(), envoy.log())
          .isEqualTo(200);
      assertThat(ok.headers().firstValue("ratelimit-limit"))
          .as("%s", ok.headers().map())
          .hasValue(Integer.toString(limit));
      assertThat(ok.headers().firstValue("ratelimit-remaining"))
          .hasValue(Integer.toString(limit - i));
      assertThat(ok.headers().firstValue("x-envoy-ratelimited")).isEmpty();
    }
    HttpResponse<String> over = ProxyClient.get(port, "shop", path, headers);
    assertThat(over.statusCode()).as("request %d on %s", limit + 1, path).isEqualTo(429);
    assertThat(over.headers().firstValue("x-envoy-ratelimited")).hasValue("true");
    assertThat(over.headers().firstValue("ratelimit-limit")).hasValue(Integer.toString(limit));
    assertThat(over.headers().firstValue("ratelimit-remaining")).hasValue("0");
    assertThat(Long.parseLong(over.headers().firstValue("ratelimit-reset").orElseThrow()))
        .isBetween(0L, 3600L);
  }

  @Test
  void remoteAddressLimitsTheCaller() {
    int before = upstream.hits();
    exactlyTheLimitPasses(4, "/by-address");
    assertThat(upstream.hits() - before).as("rate limited requests stop at Envoy").isEqualTo(4);
  }

  @Test
  void requestHeaderValuesAreCountedApart() {
    exactlyTheLimitPasses(3, "/by-key", "x-api-key", "alpha");
    assertThat(ProxyClient.get(port, "shop", "/by-key", "x-api-key", "beta").statusCode())
        .isEqualTo(200);
    assertThat(ProxyClient.get(port, "shop", "/by-key").statusCode())
        .as("no header, no descriptor, no limit")
        .isEqualTo(200);
  }

  @Test
  void genericKey() {
    exactlyTheLimitPasses(2, "/checkout");
  }

  @Test
  void shadowModeCountsButAdmits() {
    for (int i = 0; i < 3; i++) {
      assertThat(ProxyClient.get(port, "shop", "/by-tenant", "x-tenant", "acme").statusCode())
          .isEqualTo(200);
    }
    assertThat(ts.admin("/metrics").body())
        .containsPattern(
            "tollgate_ratelimit_decisions_total\\{domain=\"edge\",limit=\"per-tenant\",result=\"shadow_rejected\"} 2");
  }

  @Test
  void aDownServiceAdmitsUnlessFailureModeDeny() {
    assertThat(ProxyClient.get(downAllow, "shop", "/checkout").statusCode()).isEqualTo(200);
    HttpResponse<String> denied = ProxyClient.get(downDeny, "shop", "/checkout");
    assertThat(denied.statusCode()).isEqualTo(500);
    assertThat(envoy.stat("cluster.upstream.ratelimit.error")).isPositive();
    assertThat(envoy.stat("cluster.upstream.ratelimit.failure_mode_allowed")).isPositive();
  }
}
