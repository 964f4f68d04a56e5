package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.tollgate.server.ServerConfig;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.PrometheusServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's) scrapes two Tollgate servers: one deciding checks, rate limits and
 * access logs, one whose quota cluster is out of reach. Its query API then returns the decision,
 * latency and quota series, and every PromQL expression of deploy/grafana/tollgate.json parses and
 * returns data.
 */
class PrometheusIT {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  @TempDir Path cutOff;

  static final String LIMITS =
      """
      domain: edge
      descriptors:
        - key: remote_address
          rate_limit: {unit: hour, requests_per_unit: 3, name: per-address}
      """;

  static void traffic(TestServer main, TestServer orphan, int round) throws Exception {
    main.check(EnvoyCheckRequest.http("GET", "productpage", "/productpage").build());
    main.check(EnvoyCheckRequest.http("GET", "details", "/admin/users").build());
    for (TestServer s : List.of(main, orphan)) {
      RateLimitServiceGrpc.newBlockingStub(s.channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .shouldRateLimit(
              RateLimitRequest.newBuilder()
                  .setDomain("edge")
                  .addDescriptors(
                      RateLimitDescriptor.newBuilder()
                          .addEntries(
                              RateLimitDescriptor.Entry.newBuilder()
                                  .setKey("remote_address")
                                  .setValue("203.0.113." + (round % 2))))
                  .build());
    }
    List<io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry> entries = new ArrayList<>();
    entries.add(TelemetryIT.entry("GET", "ratings", "/ratings/1", 200, 12, TelemetryIT.RATINGS));
    entries.add(TelemetryIT.entry("GET", "ratings", "/bad-labels", 200, 12, null));
    TelemetryIT.stream(main, entries, 2);
  }

  @Test
  void prometheusScrapesTheSeriesTheGrafanaDashboardQueries() throws Exception {
    io.tollgate.server.BundledPolicy.copyTo(dir);
    Files.writeString(dir.resolve("limits.yaml"), LIMITS);
    TestServer.copyResource("telemetry-policy/telemetry.yaml", dir.resolve("telemetry.yaml"));
    Files.writeString(cutOff.resolve("limits.yaml"), LIMITS);
    ServerConfig orphanConfig =
        TestServer.config(cutOff, null, Duration.ZERO)
            .withQuota(
                new ServerConfig.Quota(
                    "nobody",
                    5701,
                    List.of("127.0.0.1:" + FreePorts.next()),
                    null,
                    true,
                    Duration.ofMillis(200),
                    false,
                    false));
    try (TestServer main = TestServer.start(dir, null, Duration.ZERO);
        TestServer orphan = TestServer.start(orphanConfig)) {
      assertThat(main.reload().statusCode()).isEqualTo(200);
      traffic(main, orphan, 0);
      try (PrometheusServer prometheus =
          PrometheusServer.start(
              "tollgate",
              List.of(
                  "127.0.0.1:" + main.server.adminPort(),
                  "127.0.0.1:" + orphan.server.adminPort()))) {
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    JSON.readTree(prometheus.query("sum(up{job=\"tollgate\"})"))
                        .at("/data/result/0/value/1")
                        .asText()
                        .equals("2"));
        // Traffic over several scrapes, so that rates and quantiles have something to work on:
        // after each round, wait for Prometheus to scrape both servers again.
        for (int round = 1; round <= 8; round++) {
          traffic(main, orphan, round);
          double before = scrapes(prometheus);
          await().atMost(Duration.ofSeconds(30)).until(() -> scrapes(prometheus) >= before + 2);
        }

        assertThat(
                values(prometheus, "tollgate_checks_total{decision=\"deny\",rule=\"admin-only\"}"))
            .isNotEmpty();
        assertThat(values(prometheus, "tollgate_check_duration_seconds_count{transport=\"grpc\"}"))
            .isNotEmpty();
        assertThat(
                values(
                    prometheus,
                    "tollgate_ratelimit_decisions_total{domain=\"edge\",limit=\"per-address\",result=\"rejected\"}"))
            .isNotEmpty();
        assertThat(
                values(
                    prometheus, "tollgate_ratelimit_failures_total{domain=\"edge\",answer=\"ok\"}"))
            .isNotEmpty();
        assertThat(values(prometheus, "mesh_requests_total{service=\"ratings\"}")).isNotEmpty();

        JsonNode grafana =
            JSON.readTree(Path.of("..", "deploy", "grafana", "tollgate.json").toFile());
        int checked = 0;
        for (JsonNode panel : grafana.get("panels")) {
          for (JsonNode target : panel.get("targets")) {
            String expr = target.get("expr").asText();
            await()
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(
                    () -> {
                      JsonNode r = JSON.readTree(prometheus.query(expr));
                      assertThat(r.get("status").asText())
                          .as("%s (panel '%s'): %s", expr, panel.get("title").asText(), r)
                          .isEqualTo("success");
                      assertThat(r.at("/data/result").size())
                          .as("data for %s (panel '%s')", expr, panel.get("title").asText())
                          .isGreaterThan(0);
                    });
            checked++;
          }
        }
        assertThat(checked).isEqualTo(16);
      }
    }
  }

  /** Scrapes of Tollgate Prometheus holds from the last five minutes. */
  static double scrapes(PrometheusServer p) throws Exception {
    JsonNode r =
        JSON.readTree(p.query("sum(count_over_time(up{job=\"tollgate\"}[5m]))"))
            .at("/data/result/0/value/1");
    return r.isMissingNode() ? 0 : Double.parseDouble(r.asText());
  }

  static List<String> values(PrometheusServer p, String selector) throws Exception {
    List<String> out = new ArrayList<>();
    JSON.readTree(p.query(selector))
        .at("/data/result")
        .forEach(r -> out.add(r.at("/value/1").asText()));
    return out;
  }
}
