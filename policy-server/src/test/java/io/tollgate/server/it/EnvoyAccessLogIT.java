package io.tollgate.server.it;

import static io.tollgate.testing.EnvoyConfigs.grpcCluster;
import static io.tollgate.testing.EnvoyConfigs.httpCluster;
import static io.tollgate.testing.EnvoyConfigs.listener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tollgate.testing.EchoUpstream;
import io.tollgate.testing.EnvoyConfigs;
import io.tollgate.testing.EnvoyLauncher;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.ProxyClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's {@code envoy.access_loggers.http_grpc} streaming into report rules: the Prometheus
 * adapter's counts equal the requests Envoy served, by response code, method and service, and the
 * access-log adapter writes one line per request.
 */
class EnvoyAccessLogIT {
  @TempDir Path dir;

  @Test
  void everyRequestEnvoyServedIsCountedByCodeAndService() throws Exception {
    TestServer.copyResource("telemetry-policy/telemetry.yaml", dir.resolve("telemetry.yaml"));
    int port = FreePorts.next();
    try (TestServer ts = TestServer.start(TestServer.config(dir, null, Duration.ZERO));
        EchoUpstream upstream = new EchoUpstream()) {
      String accessLog =
          """
          access_log:
          - name: envoy.access_loggers.http_grpc
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig
              common_config:
                log_name: tollgate
                transport_api_version: V3
                buffer_flush_interval: 0.05s
                grpc_service: {envoy_grpc: {cluster_name: tollgate}}
          """;
      String routes =
          """
          - match: {prefix: "/missing"}
            direct_response: {status: 404}
          - match: {prefix: "/broken"}
            direct_response: {status: 503}
          - match: {prefix: "/"}
            route: {cluster: upstream}
          """;
      try (EnvoyLauncher envoy =
          EnvoyLauncher.start(
              EnvoyConfigs.staticBootstrap(
                  listener("als", port, accessLog, "", routes),
                  grpcCluster("tollgate", ts.server.grpcPort())
                      + httpCluster("upstream", upstream.port())))) {
        for (int i = 0; i < 7; i++) {
          assertThat(ProxyClient.get(port, "reviews:9080", "/reviews/" + i).statusCode())
              .isEqualTo(200);
        }
        for (int i = 0; i < 3; i++) {
          assertThat(ProxyClient.get(port, "ratings", "/missing").statusCode()).isEqualTo(404);
        }
        for (int i = 0; i < 2; i++) {
          assertThat(ProxyClient.send(port, "POST", "ratings", "/broken", "x").statusCode())
              .isEqualTo(503);
        }
        List<String> lines =
            List.of(
                "mesh_requests_total{code=\"200\",method=\"GET\",service=\"reviews\",source=\"unknown\"} 7.0",
                "mesh_requests_total{code=\"404\",method=\"GET\",service=\"ratings\",source=\"unknown\"} 3.0",
                "mesh_requests_total{code=\"503\",method=\"POST\",service=\"ratings\",source=\"unknown\"} 2.0");
        await()
            .atMost(Duration.ofSeconds(30))
            .untilAsserted(
                () -> assertThat(ts.admin("/metrics").body()).as(envoy.log()).contains(lines));
        Path log = dir.resolve("logs/access.jsonl");
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> Files.exists(log) && Files.readAllLines(log).size() == 12);
        assertThat(Files.readString(log))
            .contains("\"path\":\"/reviews/6\"")
            .contains("\"code\":503");
        assertThat(envoy.stat("access_logs.grpc_access_log.logs_dropped")).isZero();
        assertThat(ts.admin("/metrics").body())
            .as("nothing else was counted")
            .doesNotContainPattern("mesh_requests_total\\{code=\"(?!200|404|503)");
      }
    }
  }
}
