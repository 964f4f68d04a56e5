package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Code;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Envoy's ext_authz over gRPC, with a real grpc-java client and Envoy's generated stubs. */
class GrpcCheckIT {
  static final String ADMIN = "spiffe://cluster.local/ns/bookinfo/sa/admin";
  static final String PRODUCTPAGE = "spiffe://cluster.local/ns/bookinfo/sa/productpage";
  static final String REVIEWS = "spiffe://cluster.local/ns/bookinfo/sa/reviews";

  @TempDir static Path dir;
  static TestServer ts;

  @BeforeAll
  static void start() throws Exception {
    ts =
        TestServer.startRevealing(
            TestServer.itPolicy(dir), TestServer.testPlugins(), Duration.ZERO);
  }

  @AfterAll
  static void stop() {
    ts.close();
  }

  static Map<String, String> headers(List<HeaderValueOption> hs) {
    return hs.stream()
        .collect(
            Collectors.toMap(
                h -> h.getHeader().getKey(), h -> h.getHeader().getValue(), (a, b) -> b));
  }

  static void assertDenied(CheckResponse r, Code code, int status, String rule) {
    assertThat(r.getStatus().getCode()).as("grpc status of %s", r).isEqualTo(code.getNumber());
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(status);
    assertThat(headers(r.getDeniedResponse().getHeadersList()))
        .containsEntry("x-tollgate-rule", rule);
    assertThat(r.getDeniedResponse().getBody())
        .contains("\"rule\":\"" + rule.replace("\"", "\\\"") + "\"");
    assertThat(r.getDynamicMetadata().getFieldsMap().get("rule").getStringValue()).isEqualTo(rule);
  }

  @Test
  void allowsAndTellsTheUpstreamWhoCalled() {
    CheckResponse anon =
        ts.check(EnvoyCheckRequest.http("GET", "productpage:9080", "/productpage").build());
    assertThat(anon.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(headers(anon.getOkResponse().getHeadersList()))
        .containsEntry("x-tollgate-caller", "anonymous");

    CheckResponse known =
        ts.check(EnvoyCheckRequest.http("GET", "productpage", "/").principal(PRODUCTPAGE).build());
    assertThat(known.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(headers(known.getOkResponse().getHeadersList()))
        .containsEntry("x-tollgate-caller", PRODUCTPAGE);
  }

  @Test
  void deniesByYamlRule() {
    CheckResponse admin =
        ts.check(
            EnvoyCheckRequest.http("GET", "details", "/admin/users")
                .principal(PRODUCTPAGE)
                .build());
    assertDenied(admin, Code.PERMISSION_DENIED, 403, "admin-only");
    assertThat(admin.getStatus().getMessage())
        .contains("the admin area is for the bookinfo admin only");

    CheckResponse byAdmin =
        ts.check(EnvoyCheckRequest.http("GET", "details", "/admin/users").principal(ADMIN).build());
    assertThat(byAdmin.getStatus().getCode()).isEqualTo(Code.OK_VALUE);

    CheckResponse write = ts.check(EnvoyCheckRequest.http("POST", "productpage", "/login").build());
    assertDenied(write, Code.PERMISSION_DENIED, 405, "productpage-read-only");
  }

  @Test
  void deniesByDrlRuleScopedByYaml() {
    CheckResponse r =
        ts.check(
            EnvoyCheckRequest.http("POST", "ratings", "/ratings/7").principal(PRODUCTPAGE).build());
    assertDenied(
        r,
        Code.PERMISSION_DENIED,
        403,
        "ratings-writes > bookinfo.ratings.only reviews writes ratings");

    CheckResponse fromReviews =
        ts.check(
            EnvoyCheckRequest.http("POST", "ratings", "/ratings/7").principal(REVIEWS).build());
    assertThat(fromReviews.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    // The DRL package is scoped to ratings: the same write to reviews is not its business.
    CheckResponse elsewhere =
        ts.check(
            EnvoyCheckRequest.http("POST", "reviews", "/reviews/7").principal(PRODUCTPAGE).build());
    assertThat(elsewhere.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
  }

  @Test
  void deniesByGlobalDrlRule() {
    CheckResponse r =
        ts.check(EnvoyCheckRequest.http("GET", "details", "/static/../etc/passwd").build());
    assertThat(r.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(400);
    assertThat(r.getStatus().getMessage()).contains("path traversal");
  }

  @Test
  void refusesAPathThatCannotBeNormalizedBeforeAnyRule() {
    for (String path : new String[] {"/static/../../etc/passwd", "/%zz", "/public/..;/admin"}) {
      CheckResponse r = ts.check(EnvoyCheckRequest.http("GET", "details", path).build());
      assertThat(r.getDeniedResponse().getStatus().getCodeValue()).as(path).isEqualTo(400);
      assertThat(r.getStatus().getMessage()).as(path).contains("cannot be normalized");
    }
  }

  @Test
  void deniesListedSourceRangesIpv4AndIpv6() {
    assertDenied(
        ts.check(
            EnvoyCheckRequest.http("GET", "productpage", "/").source("203.0.113.77", 5555).build()),
        Code.PERMISSION_DENIED,
        403,
        "deny-listed-ranges");
    assertDenied(
        ts.check(
            EnvoyCheckRequest.http("GET", "productpage", "/").source("198.51.100.7", 5555).build()),
        Code.PERMISSION_DENIED,
        403,
        "deny-listed-ranges");
    assertDenied(
        ts.check(
            EnvoyCheckRequest.http("GET", "productpage", "/")
                .source("2001:db8:bad::17", 5555)
                .build()),
        Code.PERMISSION_DENIED,
        403,
        "deny-listed-ranges");
    assertThat(
            ts.check(
                    EnvoyCheckRequest.http("GET", "productpage", "/")
                        .source("198.51.100.8", 5555)
                        .build())
                .getStatus()
                .getCode())
        .isEqualTo(Code.OK_VALUE);
  }

  @Test
  void deniesByRegexList() {
    CheckResponse r =
        ts.check(
            EnvoyCheckRequest.http("GET", "details", "/")
                .header("User-Agent", "sqlmap/1.7#stable")
                .build());
    assertDenied(r, Code.PERMISSION_DENIED, 403, "deny-scanners");
    assertThat(
            ts.check(
                    EnvoyCheckRequest.http("GET", "details", "/")
                        .header("user-agent", "curl/8.5")
                        .build())
                .getStatus()
                .getCode())
        .isEqualTo(Code.OK_VALUE);
  }

  @Test
  void pluginAdapterFromThePluginsDirectory() {
    CheckResponse none = ts.check(EnvoyCheckRequest.http("GET", "payments", "/pay").build());
    assertDenied(none, Code.UNAUTHENTICATED, 401, "payments-need-key");
    assertThat(none.getStatus().getMessage()).contains("missing API key");
    assertThat(headers(none.getDeniedResponse().getHeadersList()))
        .containsEntry("x-served-by", "tollgate");

    CheckResponse wrong =
        ts.check(
            EnvoyCheckRequest.http("GET", "payments", "/pay").header("x-api-key", "guess").build());
    assertThat(wrong.getStatus().getMessage()).contains("invalid API key");

    CheckResponse ok =
        ts.check(
            EnvoyCheckRequest.http("GET", "payments", "/pay")
                .header("x-api-key", "password")
                .build());
    assertThat(ok.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(headers(ok.getOkResponse().getHeadersList()))
        .containsEntry("x-client-id", "mobile-app");
    assertThat(headers(ok.getOkResponse().getResponseHeadersToAddList()))
        .containsEntry("x-served-by", "tollgate");
  }

  @Test
  void healthAndReflection() throws Exception {
    HealthCheckResponse h =
        HealthGrpc.newBlockingStub(ts.channel)
            .check(
                HealthCheckRequest.newBuilder()
                    .setService("envoy.service.auth.v3.Authorization")
                    .build());
    assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> req =
        ServerReflectionGrpc.newStub(ts.channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    answer.complete(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    req.onCompleted();
    assertThat(answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
        .anySatisfy(s -> assertThat(s.getName()).isEqualTo("envoy.service.auth.v3.Authorization"));
  }

  @Test
  void envoyHttpServiceMode() {
    String base = "http://127.0.0.1:" + ts.server.httpPort();
    HttpResponse<String> denied =
        ts.send(HttpRequest.newBuilder(URI.create(base + "/admin/users")).build());
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.headers().firstValue("x-tollgate-rule")).hasValue("admin-only");
    assertThat(denied.body()).contains("the admin area is for the bookinfo admin only");

    HttpResponse<String> allowed =
        ts.send(HttpRequest.newBuilder(URI.create(base + "/productpage")).build());
    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(allowed.headers().firstValue("x-tollgate-caller")).hasValue("anonymous");

    HttpResponse<String> write =
        ts.send(
            HttpRequest.newBuilder(URI.create(base + "/ratings/1"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"stars\":5}"))
                .build());
    assertThat(write.statusCode())
        .as("no destination host: ratings rule does not apply")
        .isEqualTo(200);
  }

  @Test
  void metricsCountDecisionsByRule() {
    ts.check(EnvoyCheckRequest.http("GET", "details", "/admin").build());
    String metrics = ts.admin("/metrics").body();
    assertThat(metrics)
        .containsPattern(
            "tollgate_checks_total\\{decision=\"deny\",rule=\"admin-only\",transport=\"grpc\"} [1-9]");
    assertThat(metrics).contains("tollgate_check_duration_seconds_bucket");
    assertThat(metrics).contains("tollgate_policy_version 1.0");
    assertThat(ts.admin("/readyz").statusCode()).isEqualTo(200);
    assertThat(ts.admin("/healthz").statusCode()).isEqualTo(200);
  }
}
