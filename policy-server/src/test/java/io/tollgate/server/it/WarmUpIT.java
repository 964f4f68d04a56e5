package io.tollgate.server.it;

import static io.tollgate.server.it.GrpcCheckIT.headers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.Code;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.tollgate.server.BundledPolicy;
import io.tollgate.server.ServerConfig;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import io.tollgate.server.warmup.WarmUpTraffic;
import io.tollgate.testing.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness means "answers fast": a real server warms the check and rate-limit paths up through its
 * own listeners before {@code /readyz} says ready, and before a reloaded version serves, and the
 * warm-up spends no one's quota and shows in no metric or dashboard. Real gRPC and HTTP clients,
 * the bundled policy plus a rate limit and a quota rule.
 */
class WarmUpIT {
  static final String LIMITS =
      """
      domain: edge
      descriptors:
        - key: remote_address
          rate_limit: {unit: hour, requests_per_unit: 5}
      """;

  /**
   * A quota on the destination alone: a warm-up request to ratings would spend from the real one.
   */
  static final String QUOTA =
      """
      kind: Handler
      name: per-service
      adapter: quota
      params:
        quotas:
          - name: servicecount
            maxAmount: 4
            validDuration: 1h
      ---
      kind: Instance
      name: servicecount
      template: quota
      params:
        dimensions: {service: destination.service.host}
      ---
      kind: Rule
      name: ratings-quota
      match: destination.service.host == "ratings"
      actions:
      - handler: per-service
        instances: [servicecount]
      """;

  @TempDir static Path dir;
  static TestServer ts;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> notReadyBodies = new ArrayList<>();
  static CheckResponse firstCheck;
  static long firstCheckMillis;
  static RateLimitResponse firstRateLimit;
  static HttpResponse<String> firstHttpCheck;
  static WarmUpTraffic.Report firstWarmUp;
  static String metricsAfterFirstCalls;
  static String quotasAfterFirstCalls;
  static String decisionsAfterFirstCalls;

  @BeforeAll
  static void startAndCallAtOnce() throws Exception {
    BundledPolicy.copyTo(dir);
    Files.writeString(dir.resolve("limits.yaml"), LIMITS);
    Files.writeString(dir.resolve("quota.yaml"), QUOTA);
    int grpc = FreePorts.next();
    int http = FreePorts.next();
    int admin = FreePorts.next();
    ServerConfig config = TestServer.config(dir, null, Duration.ZERO).withPorts(grpc, http, admin);
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc).usePlaintext().build();
    try {
      CompletableFuture<TestServer> starting =
          CompletableFuture.supplyAsync(() -> TestServer.start(config));
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(5))
          .until(
              () -> {
                if (starting.isCompletedExceptionally()) {
                  starting.join();
                }
                try {
                  HttpResponse<String> r =
                      HTTP.send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + admin + "/readyz"))
                              .timeout(Duration.ofSeconds(2))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  if (r.statusCode() != 200) {
                    notReadyBodies.add(r.body());
                  }
                  return r.statusCode() == 200;
                } catch (java.io.IOException e) {
                  return false; // the admin port does not listen yet
                }
              });
      long t0 = System.nanoTime();
      firstCheck =
          AuthorizationGrpc.newBlockingStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .check(
                  EnvoyCheckRequest.http("GET", "ratings:9080", "/ratings/1")
                      .source("10.9.9.9", 40000)
                      .build());
      firstCheckMillis = (System.nanoTime() - t0) / 1_000_000;
      firstRateLimit =
          RateLimitServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .shouldRateLimit(rateLimit("edge", "remote_address", "10.9.9.9"));
      firstHttpCheck =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/productpage"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      ts = starting.get(2, TimeUnit.MINUTES);
      firstWarmUp = ts.server.lastWarmUp();
    } finally {
      channel.shutdownNow();
    }
    metricsAfterFirstCalls = ts.admin("/metrics").body();
    quotasAfterFirstCalls = ts.admin("/api/quotas").body();
    decisionsAfterFirstCalls = ts.admin("/api/decisions").body();
  }

  @AfterAll
  static void stop() {
    if (ts != null) {
      ts.close();
    }
  }

  static RateLimitRequest rateLimit(String domain, String key, String value) {
    return RateLimitRequest.newBuilder()
        .setDomain(domain)
        .addDescriptors(
            RateLimitDescriptor.newBuilder()
                .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(key).setValue(value)))
        .build();
  }

  /** The sum of the samples of {@code name} whose labels contain {@code labels}. */
  static double metric(String metrics, String name, String labels) {
    double sum = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        if (line.contains(labels)) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return sum;
  }

  @Test
  void theFirstCallsAfterReadyAreAnsweredAndFindEveryQuotaFull() {
    System.out.printf("first check after /readyz answered 200: %d ms%n", firstCheckMillis);
    assertThat(notReadyBodies)
        .as("/readyz said why it was not ready")
        .allSatisfy(b -> assertThat(b).isNotBlank());
    assertThat(firstCheck.getStatus().getCode()).as("%s", firstCheck).isEqualTo(Code.OK_VALUE);
    assertThat(headers(firstCheck.getOkResponse().getResponseHeadersToAddList()))
        .as("the warm-up sent requests to ratings, but spent nothing of its quota")
        .containsEntry("x-ratelimit-limit", "4")
        .containsEntry("x-ratelimit-remaining", "3");
    RateLimitResponse.DescriptorStatus s = firstRateLimit.getStatuses(0);
    assertThat(firstRateLimit.getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
    assertThat(s.getCurrentLimit().getRequestsPerUnit()).isEqualTo(5);
    assertThat(s.getLimitRemaining())
        .as("the first real hit on a key sees the full limit")
        .isEqualTo(4);
    assertThat(firstHttpCheck.statusCode()).isEqualTo(200);
  }

  @Test
  void theWarmUpRanThroughEveryPathWithoutFailing() {
    WarmUpTraffic.Report r = firstWarmUp;
    assertThat(r).isNotNull();
    assertThat(r.version()).isEqualTo(1);
    assertThat(r.rounds()).isPositive();
    assertThat(r.grpcFailures() + r.httpFailures() + r.rateLimitFailures()).as("%s", r).isZero();
    assertThat(r.millis())
        .isLessThanOrEqualTo(ServerConfig.WarmUp.defaults().time().toMillis() + 1000);
  }

  @Test
  void theWarmUpShowsInNoMetricAndNoDashboard() throws Exception {
    String m = metricsAfterFirstCalls;
    assertThat(metric(m, "tollgate_checks_total", "transport=\"grpc\""))
        .as("only the one real gRPC check")
        .isEqualTo(1);
    assertThat(metric(m, "tollgate_checks_total", "transport=\"http\""))
        .as("only the one real HTTP check")
        .isEqualTo(1);
    assertThat(metric(m, "tollgate_check_duration_seconds_count", "")).isEqualTo(2);
    assertThat(metric(m, "tollgate_check_errors_total", "")).isZero();
    assertThat(metric(m, "tollgate_ratelimit_decisions_total", "")).isEqualTo(1);
    assertThat(metric(m, "tollgate_ratelimit_decisions_total", "domain=\"edge\"")).isEqualTo(1);
    assertThat(metric(m, "tollgate_ratelimit_quota_duration_seconds_count", "")).isEqualTo(1);
    assertThat(metric(m, "tollgate_ratelimit_failures_total", "")).isZero();
    assertThat(metric(m, "tollgate_handler_failures_total", "")).isZero();
    assertThat(metric(m, "tollgate_rule_errors_total", "")).isZero();
    assertThat(metric(m, "tollgate_quota_buckets", ""))
        .as("the real calls' two buckets, none of the warm-up's")
        .isEqualTo(2);
    assertThat(m).doesNotContain("tollgate.internal").doesNotContain("warm-up");

    JsonNode quotas = JSON.readTree(quotasAfterFirstCalls);
    assertThat(quotas.get("limits")).hasSize(1);
    assertThat(quotas.get("limits").get(0).get("domain").asText()).isEqualTo("edge");
    assertThat(quotas.get("limits").get(0).get("requests").asLong()).isEqualTo(1);
    assertThat(quotas.get("cluster").get("localBuckets").asLong()).isEqualTo(2);
    assertThat(quotasAfterFirstCalls).doesNotContain("tollgate.internal");

    JsonNode decisions = JSON.readTree(decisionsAfterFirstCalls);
    assertThat(decisions.get("recentDenials")).as("the warm-up's denials are not listed").isEmpty();
    assertThat(decisions.get("rules")).hasSize(1);
    assertThat(decisions.get("rules").get(0).get("allowed").asLong()).isEqualTo(2);
  }

  @Test
  void aWarmUpMarkWithoutTheServersTokenIsAnOrdinaryCall() {
    double before =
        metric(ts.admin("/metrics").body(), "tollgate_checks_total", "transport=\"grpc\"");
    Metadata forged = new Metadata();
    forged.put(Metadata.Key.of("x-tollgate-warm-up", Metadata.ASCII_STRING_MARSHALLER), "guessed");
    CheckResponse r =
        ts.authz
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(EnvoyCheckRequest.http("GET", "productpage", "/").build());
    assertThat(r.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    RateLimitResponse rl =
        RateLimitServiceGrpc.newBlockingStub(ts.channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forged))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .shouldRateLimit(rateLimit("tollgate.internal.warm-up", "warm-up", "strict"));
    assertThat(rl.getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
    assertThat(rl.getStatuses(0).hasCurrentLimit())
        .as("outsiders find no limit on the reserved domain")
        .isFalse();
    String m = ts.admin("/metrics").body();
    assertThat(metric(m, "tollgate_checks_total", "transport=\"grpc\"")).isEqualTo(before + 1);
    assertThat(m).doesNotContain("tollgate.internal");
  }

  @Test
  void aReloadedVersionIsWarmedUpBeforeItServesAndUserLimitsMayNotUseTheReservedDomain()
      throws Exception {
    long version = ts.server.runtime().status().version();
    double checks = metric(ts.admin("/metrics").body(), "tollgate_checks_total", "");
    Files.writeString(
        dir.resolve("reviews.yaml"),
        """
        kind: Handler
        name: closed
        adapter: denier
        params: {status: 403, message: reviews is closed}
        ---
        kind: Rule
        name: reviews-closed
        match: destination.service.host == "reviews"
        actions: [{handler: closed}]
        """);
    assertThat(ts.reload().statusCode()).isEqualTo(200);
    WarmUpTraffic.Report r = ts.server.lastWarmUp();
    assertThat(r.version())
        .as("the new version was warmed before it served")
        .isEqualTo(version + 1);
    assertThat(r.rounds()).isPositive();
    assertThat(r.grpcFailures() + r.httpFailures() + r.rateLimitFailures()).as("%s", r).isZero();
    CheckResponse denied = ts.check(EnvoyCheckRequest.http("GET", "reviews:9080", "/").build());
    assertThat(denied.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(403);
    assertThat(metric(ts.admin("/metrics").body(), "tollgate_checks_total", ""))
        .as("only the one real check")
        .isEqualTo(checks + 1);
    assertThat(ts.admin("/api/quotas").body()).doesNotContain("tollgate.internal");

    Files.writeString(
        dir.resolve("internal.yaml"),
        """
        domain: tollgate.internal.warm-up
        descriptors:
          - key: warm-up
            rate_limit: {unit: second, requests_per_unit: 1}
        """);
    try {
      HttpResponse<String> refused = ts.reload();
      assertThat(refused.body())
          .contains("internal.yaml:1:9: domain 'tollgate.internal.warm-up' is reserved");
      assertThat(ts.server.runtime().status().version()).isEqualTo(version + 1);
      assertThat(ts.server.lastWarmUp().version())
          .as("a version that does not compile is not warmed")
          .isEqualTo(version + 1);
    } finally {
      Files.delete(dir.resolve("internal.yaml"));
    }
  }
}
