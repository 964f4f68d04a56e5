package io.tollgate.server.it;

import static io.tollgate.testing.EnvoyConfigs.grpcCluster;
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
 * Envoy's {@code envoy.filters.http.ext_authz} over gRPC in front of an upstream, with Tollgate
 * deciding: what the client sees and what reaches the upstream. One Envoy serves four listeners:
 * plain, with the request body as a string, with the body as bytes, and two whose authorization
 * server is down ({@code failure_mode_allow} false and true).
 */
class EnvoyExtAuthzIT {
  static final String ADMIN = "spiffe://cluster.local/ns/bookinfo/sa/admin";

  @TempDir static Path dir;
  static TestServer ts;
  static EchoUpstream upstream;
  static EnvoyLauncher envoy;
  static int plain;
  static int bodyString;
  static int bodyBytes;
  static int downClosed;
  static int downOpen;

  static String extAuthz(String cluster, String extra) {
    return """
        - name: envoy.filters.http.ext_authz
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
            transport_api_version: V3
            grpc_service:
              envoy_grpc: {cluster_name: %s}
              timeout: 0.25s
        %s
        """
        .formatted(cluster, extra.stripTrailing());
  }

  @BeforeAll
  static void start() throws Exception {
    TestServer.itPolicy(dir);
    TestServer.copyResource("envoy-policy/body.yaml", dir.resolve("body.yaml"));
    ts = TestServer.startRevealing(dir, TestServer.testPlugins(), Duration.ZERO);
    upstream = new EchoUpstream();
    plain = FreePorts.next();
    bodyString = FreePorts.next();
    bodyBytes = FreePorts.next();
    downClosed = FreePorts.next();
    downOpen = FreePorts.next();
    int nobody = FreePorts.next();
    String route = routeAll("upstream");
    String listeners =
        listener("plain", plain, extAuthz("tollgate", "    failure_mode_allow: false"), route)
            + listener(
                "body_string",
                bodyString,
                extAuthz(
                    "tollgate",
                    "    with_request_body: {max_request_bytes: 4096, allow_partial_message: false}"),
                route)
            + listener(
                "body_bytes",
                bodyBytes,
                extAuthz(
                    "tollgate",
                    "    with_request_body: {max_request_bytes: 4096, allow_partial_message: false, pack_as_bytes: true}"),
                route)
            + listener(
                "down_closed",
                downClosed,
                extAuthz("nobody", "    failure_mode_allow: false"),
                route)
            + listener(
                "down_open",
                downOpen,
                extAuthz(
                    "nobody",
                    "    failure_mode_allow: true\n    failure_mode_allow_header_add: true"),
                route);
    String clusters =
        grpcCluster("tollgate", ts.server.grpcPort())
            + grpcCluster("nobody", nobody)
            + httpCluster("upstream", upstream.port());
    envoy = EnvoyLauncher.start(EnvoyConfigs.staticBootstrap(listeners, clusters));
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(envoy, upstream, ts);
  }

  @Test
  void allowedRequestsReachTheUpstreamWithThePolicysHeaders() {
    HttpResponse<String> r = ProxyClient.get(plain, "productpage", "/productpage");
    assertThat(r.statusCode()).as("%s\n%s", r.body(), envoy.log()).isEqualTo(200);
    assertThat(r.body())
        .contains("upstream saw GET /productpage")
        .contains("x-tollgate-caller: anonymous");
  }

  @Test
  void aForgedUpstreamHeaderIsReplaced() {
    HttpResponse<String> r =
        ProxyClient.get(plain, "productpage", "/productpage", "x-tollgate-caller", ADMIN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("x-tollgate-caller: anonymous").doesNotContain(ADMIN);
  }

  @Test
  void deniedRequestsGetTheStatusBodyAndHeadersAndNeverReachTheUpstream() {
    int before = upstream.hits();
    HttpResponse<String> r = ProxyClient.send(plain, "POST", "productpage", "/productpage", "{}");
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.body())
        .contains("\"message\":\"productpage only serves reads\"")
        .contains("\"rule\":\"productpage-read-only\"");
    assertThat(r.headers().firstValue("x-tollgate-rule")).hasValue("productpage-read-only");
    assertThat(r.headers().firstValue("x-tollgate-handler")).hasValue("read-only");
    assertThat(r.headers().firstValue("x-tollgate-policy-version")).hasValue("1");
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");

    HttpResponse<String> admin = ProxyClient.get(plain, "details", "/admin/users");
    assertThat(admin.statusCode()).isEqualTo(403);
    assertThat(admin.headers().firstValue("x-tollgate-rule")).hasValue("admin-only");
    assertThat(upstream.hits()).as("denied requests stop at Envoy").isEqualTo(before);
  }

  @Test
  void rulesSeeTheRequestBodyAsStringAndAsBytes() {
    for (int port : new int[] {bodyString, bodyBytes}) {
      HttpResponse<String> secret =
          ProxyClient.send(port, "POST", "uploads", "/upload", "{\"note\":\"top-secret\"}");
      assertThat(secret.statusCode()).as("port %d: %s", port, secret.body()).isEqualTo(403);
      assertThat(secret.headers().firstValue("x-tollgate-rule")).hasValue("no-secrets-in-uploads");
      HttpResponse<String> fine =
          ProxyClient.send(port, "POST", "uploads", "/upload", "{\"note\":\"hello\"}");
      assertThat(fine.statusCode()).as("port %d: %s", port, fine.body()).isEqualTo(200);
    }
    assertThat(ProxyClient.send(plain, "POST", "uploads", "/upload", "top-secret").statusCode())
        .as("without with_request_body the rule sees no body")
        .isEqualTo(200);
  }

  @Test
  void aDownAuthorizationServerDeniesUnlessFailureModeAllow() {
    int before = upstream.hits();
    HttpResponse<String> closed = ProxyClient.get(downClosed, "productpage", "/productpage");
    assertThat(closed.statusCode()).isEqualTo(403);
    assertThat(upstream.hits()).isEqualTo(before);

    HttpResponse<String> open = ProxyClient.get(downOpen, "productpage", "/productpage");
    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(open.body())
        .contains("x-envoy-auth-failure-mode-allowed: true")
        .doesNotContain("x-tollgate-caller");
    assertThat(envoy.stat("http.down_open.ext_authz.failure_mode_allowed")).isPositive();
  }

  @Test
  void normalTrafficCausesNoExtAuthzErrors() {
    for (int i = 0; i < 50; i++) {
      String path = i % 5 == 0 ? "/admin/x" : "/productpage";
      int expected = i % 5 == 0 ? 403 : 200;
      assertThat(ProxyClient.get(plain, "productpage", path).statusCode()).isEqualTo(expected);
    }
    assertThat(envoy.stat("http.plain.ext_authz.ok")).isGreaterThanOrEqualTo(40);
    assertThat(envoy.stat("http.plain.ext_authz.denied")).isGreaterThanOrEqualTo(10);
    assertThat(envoy.stat("http.plain.ext_authz.error"))
        .as("ext_authz errors\n%s", envoy.log())
        .isZero();
    assertThat(envoy.stat("http.plain.ext_authz.failure_mode_allowed")).isZero();
  }
}
