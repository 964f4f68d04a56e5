package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.testing.EchoUpstream;
import io.tollgate.testing.NginxLauncher;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real nginx with {@code auth_request} asks Tollgate's HTTP check endpoint before proxying. */
class NginxIT {
  @TempDir static Path dir;
  static TestServer ts;
  static EchoUpstream upstream;
  static NginxLauncher nginx;

  @BeforeAll
  static void start() throws Exception {
    ts =
        TestServer.startRevealing(
            TestServer.itPolicy(dir), TestServer.testPlugins(), Duration.ZERO);
    upstream = new EchoUpstream();
    nginx = NginxLauncher.start(ts.server.httpPort(), upstream.port());
  }

  @AfterAll
  static void stop() {
    if (nginx != null) {
      nginx.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    ts.close();
  }

  HttpResponse<String> get(String path, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nginx.port() + path));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return ts.send(b.build());
  }

  @Test
  void allowedRequestsReachTheUpstreamWithTheAddedHeader() {
    int before = upstream.hits();
    HttpResponse<String> r = get("/productpage?u=normal");
    assertThat(r.statusCode()).as("nginx log: %s", nginx.log()).isEqualTo(200);
    assertThat(r.body())
        .contains("upstream saw GET /productpage?u=normal")
        .contains("x-tollgate-caller: anonymous");
    assertThat(upstream.hits()).isEqualTo(before + 1);
  }

  @Test
  void deniedRequestsGetTheDecidedStatusAndNeverReachTheUpstream() {
    int before = upstream.hits();
    HttpResponse<String> admin = get("/admin/users");
    assertThat(admin.statusCode()).isEqualTo(403);
    assertThat(admin.headers().firstValue("x-tollgate-rule")).hasValue("admin-only");

    HttpResponse<String> scanner = get("/", "User-Agent", "Nikto/2.5");
    assertThat(scanner.statusCode()).isEqualTo(403);
    assertThat(scanner.headers().firstValue("x-tollgate-rule")).hasValue("deny-scanners");

    HttpResponse<String> noKey = get("/pay", "x-api-key", "wrong");
    assertThat(noKey.statusCode()).as("host is 127.0.0.1 here, not payments").isEqualTo(200);
    assertThat(upstream.hits()).isEqualTo(before + 1);
  }

  @Test
  void aClientCannotForgeTheOriginalUri() {
    HttpResponse<String> r =
        get("/admin/users", "X-Original-URI", "/productpage", "X-Original-Method", "GET");
    assertThat(r.statusCode()).isEqualTo(403);
  }
}
