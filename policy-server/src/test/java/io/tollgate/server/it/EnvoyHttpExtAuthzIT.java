package io.tollgate.server.it;

import static io.tollgate.testing.EnvoyConfigs.httpCluster;
import static io.tollgate.testing.EnvoyConfigs.listener;
import static io.tollgate.testing.EnvoyConfigs.routeAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.testing.Closeables;
import io.tollgate.testing.EchoUpstream;
import io.tollgate.testing.EnvoyConfigs;
import io.tollgate.testing.EnvoyLauncher;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.ProxyClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's ext_authz in HTTP-service mode against Tollgate's HTTP check port, with {@code
 * path_prefix} (the server strips it) and {@code allowed_upstream_headers} (the policy's header
 * changes reach the upstream, replacing what the client sent).
 */
class EnvoyHttpExtAuthzIT {
  @TempDir static Path dir;
  static TestServer ts;
  static EchoUpstream upstream;
  static EnvoyLauncher envoy;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    TestServer.itPolicy(dir);
    ts =
        TestServer.start(
            TestServer.revealing(TestServer.config(dir, TestServer.testPlugins(), Duration.ZERO))
                .withHttpPathPrefix("/authz"));
    upstream = new EchoUpstream();
    port = FreePorts.next();
    String filter =
        """
        - name: envoy.filters.http.ext_authz
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
            transport_api_version: V3
            failure_mode_allow: false
            http_service:
              server_uri: {uri: "http://127.0.0.1:%d", cluster: tollgate_http, timeout: 0.25s}
              path_prefix: /authz
              authorization_response:
                allowed_upstream_headers:
                  patterns: [{prefix: "x-tollgate-"}]
        """
            .formatted(ts.server.httpPort());
    envoy =
        EnvoyLauncher.start(
            EnvoyConfigs.staticBootstrap(
                listener("http_authz", port, filter, routeAll("upstream")),
                httpCluster("tollgate_http", ts.server.httpPort())
                    + httpCluster("upstream", upstream.port())));
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(envoy, upstream, ts);
  }

  @Test
  void allowedRequestsCarryThePolicysHeadersUpstreamReplacingForgedOnes() {
    HttpResponse<String> r =
        ProxyClient.get(
            port, "productpage", "/productpage", "x-tollgate-caller", "spiffe://forged");
    assertThat(r.statusCode()).as("%s\n%s", r.body(), envoy.log()).isEqualTo(200);
    assertThat(r.body())
        .contains("upstream saw GET /productpage")
        .contains("x-tollgate-caller: anonymous")
        .doesNotContain("spiffe://forged");
  }

  @Test
  void deniedRequestsGetTheDecidedStatusBodyAndHeaders() {
    int before = upstream.hits();
    HttpResponse<String> post = ProxyClient.send(port, "POST", "productpage", "/productpage", "{}");
    assertThat(post.statusCode()).as("%s\n%s", post.body(), envoy.log()).isEqualTo(405);
    assertThat(post.headers().firstValue("x-tollgate-rule")).hasValue("productpage-read-only");
    assertThat(post.body()).contains("productpage only serves reads");

    HttpResponse<String> admin = ProxyClient.get(port, "details", "/admin/users");
    assertThat(admin.statusCode())
        .as("the server saw /admin/users, not /authz/admin/users")
        .isEqualTo(403);
    assertThat(admin.headers().firstValue("x-tollgate-rule")).hasValue("admin-only");
    assertThat(upstream.hits()).isEqualTo(before);
    assertThat(envoy.stat("http.http_authz.ext_authz.error")).as(envoy.log()).isZero();
  }
}
