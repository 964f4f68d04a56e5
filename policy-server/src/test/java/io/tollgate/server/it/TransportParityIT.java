package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;

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
 * The gRPC check, Envoy's HTTP check and the nginx endpoint give rules the same attributes for the
 * same request: here the host, with and without a port, IPv6 included.
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

    HttpResponse<String> nginx =
        http(
            "/_tollgate/nginx",
            "127.0.0.1",
            "x-original-method",
            "GET",
            "x-original-uri",
            "/",
            "x-original-host",
            host);
    assertThat(nginx.statusCode()).isEqualTo(200);
    assertThat(nginx.headers().firstValue("x-dest")).as("nginx endpoint").hasValue(dest);
    assertThat(nginx.headers().firstValue("x-host")).hasValue(raw);
  }

  @ParameterizedTest
  @ValueSource(strings = {"[::1]:9080", "[2001:db8::7]"})
  void anIpv6HostLosesItsBracketsAndPort(String host) {
    assertThat(List.of("::1", "2001:db8::7")).contains(grpc(host, "x-dest"));
  }
}
