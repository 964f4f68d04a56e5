package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's gRPC access log, sent by a real grpc-java client with Envoy's own stubs and realistic
 * entries: report rules turn them into Prometheus metrics on /metrics and JSON access-log lines; a
 * burst beyond the queue is dropped and counted without holding up the stream; odd entries are
 * survived.
 */
class TelemetryIT {
  static final String RATINGS = "spiffe://cluster.local/ns/bookinfo/sa/reviews";

  @TempDir Path dir;

  TestServer start(int queue, int threads) throws Exception {
    TestServer.copyResource("telemetry-policy/telemetry.yaml", dir.resolve("telemetry.yaml"));
    return TestServer.start(
        TestServer.config(dir, null, Duration.ZERO).withReportQueue(queue, threads));
  }

  static HTTPAccessLogEntry entry(
      String method, String authority, String path, int code, long millis, String peer) {
    AccessLogCommon.Builder c =
        AccessLogCommon.newBuilder()
            .setDownstreamRemoteAddress(
                Address.newBuilder()
                    .setSocketAddress(
                        SocketAddress.newBuilder().setAddress("10.1.2.3").setPortValue(51234)))
            .setDownstreamLocalAddress(
                Address.newBuilder()
                    .setSocketAddress(
                        SocketAddress.newBuilder().setAddress("10.1.9.9").setPortValue(9080)))
            .setStartTime(Timestamp.newBuilder().setSeconds(1_795_000_000L).setNanos(123_000_000))
            .setTimeToLastDownstreamTxByte(
                com.google.protobuf.Duration.newBuilder()
                    .setSeconds(millis / 1000)
                    .setNanos((int) (millis % 1000) * 1_000_000))
            .setUpstreamCluster("outbound|9080||" + authority);
    if (peer != null) {
      c.setTlsProperties(
          TLSProperties.newBuilder()
              .setTlsVersion(TLSProperties.TLSVersion.TLSv1_3)
              .setPeerCertificateProperties(
                  TLSProperties.CertificateProperties.newBuilder()
                      .addSubjectAltName(
                          TLSProperties.CertificateProperties.SubjectAltName.newBuilder()
                              .setUri(peer))));
    }
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(c)
        .setProtocolVersion(HTTPAccessLogEntry.HTTPVersion.HTTP11)
        .setRequest(
            HTTPRequestProperties.newBuilder()
                .setRequestMethod(RequestMethod.valueOf(method))
                .setScheme("http")
                .setAuthority(authority + ":9080")
                .setPath(path)
                .setUserAgent("Mozilla/5.0")
                .setRequestId("5f1c0b4e-8c1d-4c9e-9d0e-0a0b0c0d0e0f")
                .setRequestHeadersBytes(412)
                .setRequestBodyBytes(0))
        .setResponse(
            HTTPResponseProperties.newBuilder()
                .setResponseCode(UInt32Value.of(code))
                .setResponseBodyBytes(1234)
                .setResponseHeadersBytes(180)
                .putResponseHeaders("content-type", "application/json"))
        .build();
  }

  /**
   * Sends the entries in messages of {@code perMessage} on one stream; returns when the server
   * answered.
   */
  static Duration stream(TestServer ts, List<HTTPAccessLogEntry> entries, int perMessage)
      throws Exception {
    CompletableFuture<StreamAccessLogsResponse> done = new CompletableFuture<>();
    StreamObserver<StreamAccessLogsMessage> in =
        AccessLogServiceGrpc.newStub(ts.channel)
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .streamAccessLogs(
                new StreamObserver<>() {
                  @Override
                  public void onNext(StreamAccessLogsResponse r) {
                    done.complete(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    long start = System.nanoTime();
    for (int i = 0; i < entries.size(); i += perMessage) {
      StreamAccessLogsMessage.Builder m = StreamAccessLogsMessage.newBuilder();
      if (i == 0) {
        m.setIdentifier(
            StreamAccessLogsMessage.Identifier.newBuilder()
                .setNode(
                    Node.newBuilder()
                        .setId("sidecar~10.1.9.9~ratings-v1.bookinfo~bookinfo.svc.cluster.local"))
                .setLogName("tollgate"));
      }
      m.setHttpLogs(
          StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder()
              .addAllLogEntry(entries.subList(i, Math.min(entries.size(), i + perMessage))));
      in.onNext(m.build());
    }
    in.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    return Duration.ofNanos(System.nanoTime() - start);
  }

  static double metric(TestServer ts, String line) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(line) + " ([0-9.eE+-]+)$")
            .matcher(ts.admin("/metrics").body());
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  @Test
  void accessLogsBecomeMetricsAndLogLines() throws Exception {
    try (TestServer ts = start(10_000, 2)) {
      List<HTTPAccessLogEntry> entries = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        entries.add(entry("GET", "ratings", "/ratings/" + i, 200, 20, RATINGS));
      }
      for (int i = 0; i < 5; i++) {
        entries.add(entry("POST", "ratings", "/ratings/" + i + "?debug=1", 503, 700, null));
      }
      stream(ts, entries, 10);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> metric(ts, "tollgate_report_instances_total") >= 35 * 4);
      assertThat(
              metric(
                  ts,
                  "mesh_requests_total{code=\"200\",method=\"GET\",service=\"ratings\",source=\""
                      + RATINGS
                      + "\"}"))
          .isEqualTo(30);
      assertThat(
              metric(
                  ts,
                  "mesh_requests_total{code=\"503\",method=\"POST\",service=\"ratings\",source=\"unknown\"}"))
          .isEqualTo(5);
      assertThat(
              metric(ts, "mesh_request_duration_seconds_bucket{service=\"ratings\",le=\"0.05\"}"))
          .isEqualTo(30);
      assertThat(metric(ts, "mesh_request_duration_seconds_bucket{service=\"ratings\",le=\"1.0\"}"))
          .isEqualTo(35);
      assertThat(metric(ts, "mesh_request_duration_seconds_count{service=\"ratings\"}"))
          .isEqualTo(35);
      assertThat(metric(ts, "mesh_response_bytes{service=\"ratings\"}")).isEqualTo(1234);
      assertThat(metric(ts, "tollgate_report_entries_total{result=\"queued\"}")).isEqualTo(35);
      assertThat(metric(ts, "tollgate_report_entries_total{result=\"dropped\"}")).isZero();

      Path log = dir.resolve("logs/access.jsonl");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Files.exists(log) && Files.readAllLines(log).size() == 35);
      List<JsonNode> lines = new ArrayList<>();
      for (String l : Files.readAllLines(log)) {
        lines.add(new ObjectMapper().readTree(l));
      }
      JsonNode ok =
          lines.stream().filter(n -> n.get("code").asLong() == 200).findFirst().orElseThrow();
      assertThat(ok.get("severity").asText()).isEqualTo("INFO");
      assertThat(ok.get("timestamp").asText()).isEqualTo("2026-11-18T11:06:40.123Z");
      assertThat(ok.get("method").asText()).isEqualTo("GET");
      assertThat(ok.get("latency").asDouble()).isEqualTo(20.0);
      assertThat(ok.get("source").asText()).isEqualTo(RATINGS);
      assertThat(ok.get("instance").asText()).isEqualTo("accessentry");
      JsonNode failed =
          lines.stream().filter(n -> n.get("code").asLong() == 503).findFirst().orElseThrow();
      assertThat(failed.get("severity").asText()).isEqualTo("ERROR");
      assertThat(failed.get("path").asText()).startsWith("/ratings/").endsWith("?debug=1");
    }
  }

  @Test
  void aBurstBeyondTheQueueIsDroppedAndCountedWithoutStallingTheStream() throws Exception {
    try (TestServer ts = start(5, 1)) {
      List<HTTPAccessLogEntry> entries = new ArrayList<>();
      for (int i = 0; i < 20_000; i++) {
        entries.add(entry("GET", "reviews", "/reviews/" + i, 200, 3, RATINGS));
      }
      Duration took = stream(ts, entries, 500);
      assertThat(took)
          .as("the stream is answered without waiting for the report rules")
          .isLessThan(Duration.ofSeconds(30));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> metric(ts, "tollgate_report_queue_entries") == 0);
      double queued = metric(ts, "tollgate_report_entries_total{result=\"queued\"}");
      double dropped = metric(ts, "tollgate_report_entries_total{result=\"dropped\"}");
      assertThat(queued + dropped).isEqualTo(20_000);
      assertThat(dropped).as("a queue of 5 cannot take a burst of 20,000").isGreaterThan(0);
      System.out.printf(
          "burst of 20,000 entries answered in %d ms: %.0f queued, %.0f dropped%n",
          took.toMillis(), queued, dropped);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  metric(
                          ts,
                          "mesh_requests_total{code=\"200\",method=\"GET\",service=\"reviews\",source=\""
                              + RATINGS
                              + "\"}")
                      == queued);
    }
  }

  @Test
  void oddEntriesAndBadLabelsAreSurvived() throws Exception {
    try (TestServer ts = start(10_000, 1)) {
      HTTPAccessLogEntry absurd =
          entry("GET", "details", "/details/1", 200, 5, null).toBuilder()
              .setCommonProperties(
                  entry("GET", "details", "/details/1", 200, 5, null)
                      .getCommonProperties()
                      .toBuilder()
                      .setStartTime(Timestamp.newBuilder().setSeconds(Long.MAX_VALUE))
                      .setTimeToLastDownstreamTxByte(
                          com.google.protobuf.Duration.newBuilder().setSeconds(-5)))
              .setRequest(
                  HTTPRequestProperties.newBuilder()
                      .setRequestHeadersBytes(-1)
                      .setRequestBodyBytes(-1)
                      .setPath("/details/" + "x".repeat(100_000))
                      .putRequestHeaders("x-big", "y".repeat(100_000)))
              .setResponse(HTTPResponseProperties.newBuilder().setResponseCode(UInt32Value.of(-1)))
              .build();
      List<HTTPAccessLogEntry> entries =
          List.of(
              HTTPAccessLogEntry.getDefaultInstance(),
              absurd,
              entry("GET", "details", "/bad-labels", 200, 5, null),
              entry("GET", "details", "/details/2", 200, 5, null));
      stream(ts, entries, 4);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  metric(ts, "tollgate_report_entries_total{result=\"queued\"}") == 4
                      && metric(ts, "tollgate_report_queue_entries") == 0);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  metric(
                          ts,
                          "mesh_requests_total{code=\"200\",method=\"GET\",service=\"details\",source=\"unknown\"}")
                      == 2);
      assertThat(ts.admin("/metrics").body())
          .as("an absurd code is recorded as sent")
          .containsPattern(
              "mesh_requests_total\\{code=\"4294967295\",method=\"\",service=\"\",source=\"unknown\"} 1.0")
          .containsPattern(
              "mesh_requests_total\\{code=\"0\",method=\"\",service=\"\",source=\"unknown\"} 1.0");
      assertThat(metric(ts, "tollgate_handler_failures_total{handler=\"prom\"}"))
          .as("the entry without a method or service, and the map-valued label")
          .isGreaterThanOrEqualTo(1);
      assertThat(ts.admin("/metrics").body()).doesNotContain("mesh_bad_labels_total{");
      assertThat(ts.admin("/readyz").statusCode()).isEqualTo(200);
    }
  }
}
