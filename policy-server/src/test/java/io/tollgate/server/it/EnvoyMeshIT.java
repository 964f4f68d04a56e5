package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tollgate.testing.Closeables;
import io.tollgate.testing.EchoUpstream;
import io.tollgate.testing.EnvoyLauncher;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.ProxyClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pilot-lite configuring real Envoy sidecars over ADS, each started from the shipped {@code
 * deploy/envoy/bootstrap.yaml}: the caller's sidecar (productpage) routes outbound calls by a
 * VirtualService's header match and weights and follows an edit; the callee's sidecar (details)
 * runs ext_authz, the global rate limit and the access log to the policy server on its inbound
 * listener. Envoy accepts every resource (no NACK, no rejected update).
 */
class EnvoyMeshIT {
  static final String POLICY =
      """
      kind: Handler
      name: private
      adapter: denier
      params: {status: 403, message: details keeps /private to itself}
      ---
      kind: Rule
      name: details-private
      match: destination.service.host == "details.shop" && request.url_path.startsWith("/private")
      actions:
      - handler: private
      ---
      kind: Handler
      name: prom
      adapter: prometheus
      params:
        metrics:
        - name: sidecar_requests
          instanceName: requestcount
          kind: COUNTER
          labelNames: [code, service]
      ---
      kind: Instance
      name: requestcount
      template: metric
      params:
        value: '1'
        dimensions: {code: response.code, service: destination.service.host}
      ---
      kind: Rule
      name: telemetry
      actions:
      - handler: prom
        instances: [requestcount]
      """;
  static final String LIMITS =
      """
      domain: mesh
      descriptors:
        - key: destination
          value: details.shop
          descriptors:
            - key: path
              value: /limited
              rate_limit: {unit: hour, requests_per_unit: 2, name: details-limited}
      """;

  @TempDir static Path dir;
  static TestServer policy;
  static ServerProcess pilot;
  static EchoUpstream v1;
  static EchoUpstream v2;
  static EchoUpstream detailsApp;
  static EnvoyLauncher productpage;
  static EnvoyLauncher details;
  static int productpageOut;
  static int detailsIn;
  static Path mesh;

  static String reviewsRoutes(String httpRoutes) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: [reviews.shop]
          http:
        %s"""
        .formatted(httpRoutes.indent(2));
  }

  static final String CANARY_AND_WEIGHTS =
      """
      - match: [{headers: {x-tag: {exact: canary}}}]
        route: [{destination: {host: reviews.shop, subset: v2}}]
      - route:
        - {destination: {host: reviews.shop, subset: v1}, weight: 80}
        - {destination: {host: reviews.shop, subset: v2}, weight: 20}
      """;

  @BeforeAll
  static void start() throws Exception {
    Path policyDir = Files.createDirectories(dir.resolve("policy"));
    Files.writeString(policyDir.resolve("policy.yaml"), POLICY);
    Files.writeString(policyDir.resolve("limits.yaml"), LIMITS);
    policy = TestServer.startRevealing(policyDir, null, Duration.ZERO);
    v1 = new EchoUpstream();
    v2 = new EchoUpstream();
    detailsApp = new EchoUpstream();
    productpageOut = FreePorts.next();
    detailsIn = FreePorts.next();
    mesh = Files.createDirectories(dir.resolve("mesh"));
    Files.writeString(
        mesh.resolve("services.yaml"),
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: [reviews.shop]
          ports: [{number: 9080, name: http}]
          endpoints:
          - {address: 127.0.0.1, ports: {http: %d}, labels: {version: v1}}
          - {address: 127.0.0.1, ports: {http: %d}, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: details, namespace: shop}
        spec:
          hosts: [details.shop]
          ports: [{number: 9080, name: http, targetPort: %d}]
          endpoints: [{address: 127.0.0.1, ports: {http: %d}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: productpage, namespace: shop}
        spec:
          hosts: [productpage.shop]
          ports: [{number: 9080, name: http}]
          endpoints: [{address: 127.0.0.1}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: shop}
        spec:
          host: reviews.shop
          subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
        """
            .formatted(v1.port(), v2.port(), detailsApp.port(), detailsIn));
    Files.writeString(mesh.resolve("reviews-routes.yaml"), reviewsRoutes(CANARY_AND_WEIGHTS));
    pilot =
        ServerProcess.pilot(
            "--mesh",
            mesh.toString(),
            "--reload-interval",
            "100ms",
            "--policy-address",
            "127.0.0.1:" + policy.server.grpcPort());
    productpage =
        EnvoyLauncher.start(
            SidecarBootstrap.of(
                "sidecar~127.0.0.1~productpage-1.shop~shop.svc.cluster.local",
                "productpage.shop",
                FreePorts.next(),
                productpageOut,
                pilot.grpcPort,
                null));
    details =
        EnvoyLauncher.start(
            SidecarBootstrap.of(
                "sidecar~127.0.0.1~details-1.shop~shop.svc.cluster.local",
                "details.shop",
                detailsIn,
                FreePorts.next(),
                pilot.grpcPort,
                null));
  }

  @AfterAll
  static void stop() {
    Closeables.closeAll(productpage, details, pilot, v1, v2, detailsApp, policy);
  }

  static void assertEverythingAccepted(EnvoyLauncher envoy) {
    Map<String, Long> stats = envoy.stats();
    assertThat(stats.get("listener_manager.lds.update_success")).as("LDS updates").isPositive();
    assertThat(stats.get("cluster_manager.cds.update_success")).as("CDS updates").isPositive();
    stats.forEach(
        (name, value) -> {
          if (name.endsWith(".update_rejected")) {
            assertThat(value).as("%s\n%s", name, envoy.log()).isZero();
          }
        });
  }

  @Test
  void envoyAcceptsEveryResource() throws Exception {
    assertEverythingAccepted(productpage);
    assertEverythingAccepted(details);
    assertThat(policy.get("http://127.0.0.1:" + pilot.adminPort + "/metrics").body())
        .doesNotContainPattern("tollgate_pilot_rejected_configs_total\\S* [1-9]");
    assertThat(productpage.configDump())
        .contains("outbound|" + productpageOut)
        .contains("reviews.shop");
  }

  @Test
  void outboundCallsFollowTheHeaderMatchWeightsAndEdits() throws Exception {
    int v1Before = v1.hits();
    int v2Before = v2.hits();
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r =
          ProxyClient.get(productpageOut, "reviews.shop:9080", "/reviews/1", "x-tag", "canary");
      assertThat(r.statusCode()).as("%s\n%s", r.body(), productpage.log()).isEqualTo(200);
    }
    assertThat(v2.hits() - v2Before).as("the canary header goes to v2").isEqualTo(20);
    assertThat(v1.hits()).isEqualTo(v1Before);

    v1Before = v1.hits();
    v2Before = v2.hits();
    for (int i = 0; i < 200; i++) {
      assertThat(ProxyClient.get(productpageOut, "reviews.shop:9080", "/reviews/1").statusCode())
          .isEqualTo(200);
    }
    int toV1 = v1.hits() - v1Before;
    assertThat(toV1 + v2.hits() - v2Before).isEqualTo(200);
    assertThat(toV1)
        .as("80%% of 200 to v1 (seven standard deviations either side)")
        .isBetween(120, 199);

    long rdsBefore = productpage.stat("http.outbound.rds.outbound.update_success");
    try {
      writeAtomically(
          mesh.resolve("reviews-routes.yaml"),
          reviewsRoutes("- route: [{destination: {host: reviews.shop, subset: v2}}]\n"));
      productpage.awaitStat(
          "http.outbound.rds.outbound.update_success", v -> v > rdsBefore, Duration.ofSeconds(30));
      int v2Now = v2.hits();
      for (int i = 0; i < 20; i++) {
        assertThat(ProxyClient.get(productpageOut, "reviews.shop:9080", "/reviews/1").statusCode())
            .isEqualTo(200);
      }
      assertThat(v2.hits() - v2Now).as("after the edit everything goes to v2").isEqualTo(20);
      assertEverythingAccepted(productpage);
    } finally {
      writeAtomically(mesh.resolve("reviews-routes.yaml"), reviewsRoutes(CANARY_AND_WEIGHTS));
    }
  }

  static double count(String code) {
    return Math.max(
        0,
        TelemetryIT.metric(
            policy, "sidecar_requests_total{code=\"" + code + "\",service=\"details.shop\"}"));
  }

  @Test
  void theInboundListenerAsksThePolicyServerRateLimitsAndLogs() {
    double ok200 = count("200");
    double denied403 = count("403");
    double limited429 = count("429");
    HttpResponse<String> ok = ProxyClient.get(detailsIn, "details.shop", "/details/1");
    assertThat(ok.statusCode()).as("%s\n%s", ok.body(), details.log()).isEqualTo(200);
    assertThat(ok.body()).contains("upstream saw GET /details/1");

    HttpResponse<String> denied = ProxyClient.get(detailsIn, "details.shop", "/private/keys");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(denied.headers().firstValue("x-tollgate-rule")).hasValue("details-private");

    for (int i = 0; i < 2; i++) {
      assertThat(ProxyClient.get(detailsIn, "details.shop", "/limited").statusCode())
          .isEqualTo(200);
    }
    assertThat(ProxyClient.get(detailsIn, "details.shop", "/limited").statusCode()).isEqualTo(429);

    HttpResponse<String> viaMesh =
        ProxyClient.get(productpageOut, "details.shop:9080", "/details/2");
    assertThat(viaMesh.statusCode())
        .as("productpage -> its sidecar -> details' sidecar -> details")
        .isEqualTo(200);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(count("200") - ok200).as("allowed requests logged").isEqualTo(4);
              assertThat(count("429") - limited429).as("rate-limited requests logged").isEqualTo(1);
              assertThat(count("403") - denied403).as("denied requests logged").isEqualTo(1);
            });
    assertThat(details.stat("http.inbound.ext_authz.error")).as(details.log()).isZero();
  }

  @Test
  void noHostHeaderSkipsARuleWrittenForTheWorkload() {
    for (String host :
        new String[] {"other", "other:9080", "details.shop.evil", "DETAILS.SHOP:1", "127.0.0.1"}) {
      HttpResponse<String> r = ProxyClient.get(detailsIn, host, "/private/keys");
      assertThat(r.statusCode()).as("Host: %s", host).isEqualTo(403);
      assertThat(r.headers().firstValue("x-tollgate-rule")).hasValue("details-private");
    }
  }

  static void writeAtomically(Path file, String text) throws Exception {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
