package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gRPC check, Envoy's HTTP check, the nginx endpoint and Envoy's access log give rules the same
 * attributes for the same request: here the host, with and without a port, IPv6 included, and the
 * HTTP version.
 */
class TransportParityIT {
  @org.junit.jupiter.api.io.TempDir static Path dir;
  static TestServer ts;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(
        dir.resolve("show.yaml"),
        """
        kind: Rule
        name: show
        requestHeaderOperations:
        - name: x-dest
          values: ['destination.service.host']
        - name: x-host
          values: ['request.host']
        - name: x-proto
          values: ['context.protocol']
        ---
        kind: Handler
        name: access
        adapter: accesslog
        params:
          path: logs/access.jsonl
        ---
        kind: Instance
        name: seen
        template: logentry
        params:
          variables:
            path: request.path
            dest: destination.service.host
            host: request.host
            proto: context.protocol
        ---
        kind: Rule
        name: log
        actions:
        - handler: access
          instances: [seen]
        """);
    ts = TestServer.start(dir, TestServer.testPlugins(), Duration.ZERO);
  }

  @AfterAll
  static void stop() {
    ts.close();
  }

  private static String grpc(String host, String header) {
    CheckResponse r = ts.check(EnvoyCheckRequest.http("GET", host, "/").build());
    return GrpcCheckIT.headers(r.getOkResponse().getHeadersList()).get(header);
  }

  private static HttpResponse<String> http(String path, String host, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ts.server.httpPort() + path))
            .header("host", host);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return ts.http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ratings.shop",
        "ratings.shop:9080",
        "RATINGS.shop:9080",
        "[::1]",
        "[::1]:9080",
        "[2001:db8::7]:443",
        "10.0.0.7:80"
      })
  void everyTransportSeesTheSameHost(String host) throws Exception {
    String dest = grpc(host, "x-dest");
    String raw = grpc(host, "x-host");
    assertThat(raw).as("request.host is the Host as sent").isEqualTo(host);
    assertThat(dest).as("destination.service.host has no port").doesNotEndWith(":9080");

    HttpResponse<String> envoyHttp = http("/", host);
    assertThat(envoyHttp.statusCode()).isEqualTo(200);
    assertThat(envoyHttp.headers().firstValue("x-dest")).as("HTTP check").hasValue(dest);
    assertThat(envoyHttp.headers().firstValue("x-host")).hasValue(raw);
    String proto = grpc(host, "x-proto");
    assertThat(envoyHttp.headers().firstValue("x-proto")).hasValue(proto);

    HttpResponse<String> nginx =
        http(
            "/_tollgate/nginx",
            "127.0.0.1",
            "x-original-method",
            "GET",
            "x-original-uri",
            "/",
            "x-original-host",
            host,
            "x-original-protocol",
            "HTTP/1.1");
    assertThat(nginx.statusCode()).isEqualTo(200);
    assertThat(nginx.headers().firstValue("x-dest")).as("nginx endpoint").hasValue(dest);
    assertThat(nginx.headers().firstValue("x-host")).hasValue(raw);
    assertThat(nginx.headers().firstValue("x-proto")).hasValue(proto);

    String path = "/logged/" + Integer.toHexString(host.hashCode());
    TelemetryIT.stream(ts, List.of(accessLogEntry(host, path)), 1);
    Path log = dir.resolve("logs/access.jsonl");
    JsonNode line =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> logged(log, path), java.util.Objects::nonNull);
    assertThat(line.path("dest").asText()).as("access log").isEqualTo(dest);
    assertThat(line.path("host").asText()).isEqualTo(raw);
    assertThat(line.path("proto").asText()).isEqualTo(proto);
  }

  /** The entry Envoy's access log would send for a plain GET of {@code path} on {@code host}. */
  private static HTTPAccessLogEntry accessLogEntry(String host, String path) {
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(
            AccessLogCommon.newBuilder()
                .setDownstreamRemoteAddress(
                    Address.newBuilder()
                        .setSocketAddress(
                            SocketAddress.newBuilder()
                                .setAddress("127.0.0.1")
                                .setPortValue(40000))))
        .setProtocolVersion(HTTPAccessLogEntry.HTTPVersion.HTTP11)
        .setRequest(
            HTTPRequestProperties.newBuilder()
                .setRequestMethod(RequestMethod.GET)
                .setScheme("http")
                .setAuthority(host)
                .setPath(path))
        .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(200)))
        .build();
  }

  private static JsonNode logged(Path log, String path) throws Exception {
    if (!Files.exists(log)) {
      return null;
    }
    for (String l : Files.readAllLines(log)) {
      JsonNode n = new ObjectMapper().readTree(l);
      if (n.path("path").asText().equals(path)) {
        return n;
      }
    }
    return null;
  }

  @ParameterizedTest
  @ValueSource(strings = {"[::1]:9080", "[2001:db8::7]"})
  void anIpv6HostLosesItsBracketsAndPort(String host) {
    assertThat(List.of("::1", "2001:db8::7")).contains(grpc(host, "x-dest"));
  }
}
