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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled {@code admin-only} rule through a real Envoy, for paths that spell {@code /admin}
 * another way: with Envoy's path normalization on (Istio's settings, as pilot-lite and
 * deploy/envoy/front-proxy.yaml set them) and off, over ext_authz gRPC and Envoy's HTTP service.
 * Either way none reaches the upstream: Envoy normalizes it, or the policy server's {@code
 * request.url_path} does. Requests are written on a socket byte for byte, so no client library
 * tidies the path first.
 */
class EnvoyPathNormalizationIT {
  static final List<String> ADMIN_SPELLINGS =
      List.of(
          "/admin/x",
          "//admin/x",
          "/./admin/x",
          "/%61dmin/x",
          "/%61%64%6D%69%6E/x",
          "/x/../admin/x",
          "/x/%2e%2e/admin/x",
          "///admin//x?q=1");

  @TempDir static Path dir;
  static TestServer ts;
  static EchoUpstream upstream;
  static EnvoyLauncher envoy;

  /** Listener name to port: gRPC or HTTP ext_authz, Envoy's normalization on or off. */
  static final Map<String, Integer> LISTENERS = new LinkedHashMap<>();

  static final String NORMALIZE =
      """
      normalize_path: true
      merge_slashes: true
      path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT
      """;

  static String grpcAuthz() {
    return """
        - name: envoy.filters.http.ext_authz
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
            transport_api_version: V3
            failure_mode_allow: false
            grpc_service:
              envoy_grpc: {cluster_name: tollgate}
              timeout: 2s
        """;
  }

  static String httpAuthz() {
    return """
        - name: envoy.filters.http.ext_authz
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
            transport_api_version: V3
            failure_mode_allow: false
            http_service:
              server_uri: {uri: "http://127.0.0.1:%d", cluster: tollgate_http, timeout: 2s}
              path_prefix: /authz
        """
        .formatted(ts.server.httpPort());
  }

  @BeforeAll
  static void start() throws Exception {
    TestServer.itPolicy(dir);
    ts =
        TestServer.start(
            TestServer.config(dir, TestServer.testPlugins(), Duration.ZERO)
                .withHttpPathPrefix("/authz"));
    upstream = new EchoUpstream();
    StringBuilder listeners = new StringBuilder();
    for (String transport : List.of("grpc", "http")) {
      for (boolean normalize : new boolean[] {false, true}) {
        String name = transport + (normalize ? "_normalized" : "_raw");
        int port = FreePorts.next();
        LISTENERS.put(name, port);
        listeners.append(
            listener(
                name,
                port,
                normalize ? NORMALIZE : "",
                transport.equals("grpc") ? grpcAuthz() : httpAuthz(),
                routeAll("upstream")));
      }
    }
    envoy =
        EnvoyLauncher.start(
            EnvoyConfigs.staticBootstrap(
                listeners.toString(),
                grpcCluster("tollgate", ts.server.grpcPort())
                    + httpCluster("tollgate_http", ts.server.httpPort())
                    + httpCluster("upstream", upstream.port())));
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(envoy, upstream, ts);
  }

  @Test
  void theAdminAreaIsRefusedHoweverItsPathIsSpeltWithNormalizationOnAndOff() {
    int before = upstream.hits();
    LISTENERS.forEach(
        (name, port) -> {
          for (String path : ADMIN_SPELLINGS) {
            Answer a = get(port, path);
            assertThat(a.status()).as("%s %s: %s\n%s", name, path, a, envoy.log()).isEqualTo(403);
          }
        });
    assertThat(upstream.hits()).as("no spelling of /admin reached the upstream").isEqualTo(before);
  }

  @Test
  void escapedSlashesAreRedirectedByEnvoyOrReadAsSlashesByThePolicyServer() {
    int before = upstream.hits();
    for (String path : List.of("/admin%2Fx", "/admin%2fx", "/admin%5Cx")) {
      for (String name : List.of("grpc_raw", "http_raw")) {
        Answer raw = get(LISTENERS.get(name), path);
        assertThat(raw.status()).as("%s %s: %s", name, path, raw).isEqualTo(403);
      }
      for (String name : List.of("grpc_normalized", "http_normalized")) {
        Answer redirected = get(LISTENERS.get(name), path);
        assertThat(redirected.status()).as("%s %s: %s", name, path, redirected).isEqualTo(307);
        assertThat(redirected.text()).containsIgnoringCase("location: /admin/x");
      }
    }
    assertThat(upstream.hits()).isEqualTo(before);
  }

  @Test
  void aPathThatCannotBeNormalizedIsRefusedWith400ByEnvoyOrThePolicyServer() {
    int before = upstream.hits();
    for (String path : List.of("/a%zz/admin", "/x/%00/admin")) {
      LISTENERS.forEach(
          (name, port) -> {
            Answer a = get(port, path);
            assertThat(a.status()).as("%s %s: %s\n%s", name, path, a, envoy.log()).isEqualTo(400);
          });
    }
    // Above the root, and a dot segment with parameters (Tomcat reads ..; as ..): Envoy resolves
    // both to /admin/x (403); without it the policy server refuses them (400).
    for (String path : List.of("/../admin/x", "/x/..;/admin/x")) {
      for (String name : List.of("grpc_raw", "http_raw")) {
        assertThat(get(LISTENERS.get(name), path).status()).as(name + " " + path).isEqualTo(400);
      }
      for (String name : List.of("grpc_normalized", "http_normalized")) {
        assertThat(get(LISTENERS.get(name), path).status()).as(name + " " + path).isEqualTo(403);
      }
    }
    assertThat(upstream.hits()).isEqualTo(before);
  }

  @Test
  void aDotSegmentAfterAnEmptyOneIsReadAsTheUpstreamWillReadIt() {
    // Envoy removes dot segments before merging slashes and forwards /x/admin/x, which is what
    // the policy server then sees; without Envoy's normalization the upstream gets the path as
    // sent, which nginx and Go resolve to /admin/x, and so does the policy server.
    for (String name : List.of("grpc_raw", "http_raw")) {
      assertThat(get(LISTENERS.get(name), "/x//../admin/x").status()).as(name).isEqualTo(403);
    }
    for (String name : List.of("grpc_normalized", "http_normalized")) {
      Answer a = get(LISTENERS.get(name), "/x//../admin/x");
      assertThat(a.status()).as("%s: %s", name, a).isEqualTo(200);
      assertThat(a.text()).contains("upstream saw GET /x/admin/x");
    }
  }

  @Test
  void allowedPathsPassAndEnvoyForwardsTheNormalizedPath() {
    LISTENERS.forEach(
        (name, port) -> {
          Answer a = get(port, "/.//productpage/./reviews?x=1");
          assertThat(a.status()).as("%s: %s\n%s", name, a, envoy.log()).isEqualTo(200);
          assertThat(a.text())
              .contains(
                  name.endsWith("_normalized")
                      ? "upstream saw GET /productpage/reviews?x=1"
                      : "upstream saw GET /.//productpage/./reviews?x=1");
        });
  }

  /** A status and the whole response as text. */
  record Answer(int status, String text) {}

  /** {@code GET path} with {@code Host: details}, written as it is on a new connection. */
  static Answer get(int port, String path) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: details\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.ISO_8859_1);
      String[] statusLine = text.split("\r\n", 2)[0].split(" ");
      return new Answer(statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1, text);
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + path + " on port " + port, e);
    }
  }
}
