package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse.Code;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Envoy's global rate-limit service, called with a real grpc-java client and Envoy's stubs. */
class RateLimitIT {
  static final String LIMITS =
      """
      domain: edge
      descriptors:
        - key: remote_address
          rate_limit: {unit: hour, requests_per_unit: 3, name: per-address}
          descriptors:
            - key: path
              value: /login
              rate_limit: {unit: hour, requests_per_unit: 1}
        - key: remote_address
          value: 10.0.0.1
          rate_limit: {unlimited: true}
        - key: remote_address
          value: "192.168.*"
          rate_limit: {unit: hour, requests_per_unit: 100, name: office, replaces: [{name: per-address}]}
        - key: api_key
          shadow_mode: true
          rate_limit: {unit: hour, requests_per_unit: 1}
        - key: tenant
          detailed_metric: true
          rate_limit: {unit: hour, requests_per_unit: 100}
      """;

  @TempDir static Path dir;
  static TestServer ts;
  static RateLimitServiceGrpc.RateLimitServiceBlockingStub rls;

  @BeforeAll
  static void start() throws Exception {
    TestServer.itPolicy(dir);
    Files.writeString(dir.resolve("limits.yaml"), LIMITS);
    ts = TestServer.start(dir, TestServer.testPlugins(), Duration.ZERO);
    rls = RateLimitServiceGrpc.newBlockingStub(ts.channel);
  }

  @AfterAll
  static void stop() {
    ts.close();
  }

  static RateLimitDescriptor descriptor(String... kv) {
    RateLimitDescriptor.Builder d = RateLimitDescriptor.newBuilder();
    for (int i = 0; i < kv.length; i += 2) {
      d.addEntries(RateLimitDescriptor.Entry.newBuilder().setKey(kv[i]).setValue(kv[i + 1]));
    }
    return d.build();
  }

  static RateLimitResponse ask(String domain, int hits, RateLimitDescriptor... ds) {
    RateLimitRequest.Builder r =
        RateLimitRequest.newBuilder().setDomain(domain).setHitsAddend(hits);
    for (RateLimitDescriptor d : ds) {
      r.addDescriptors(d);
    }
    return rls.withDeadlineAfter(30, TimeUnit.SECONDS).shouldRateLimit(r.build());
  }

  @Test
  void limitsPerValueUnderAWildcardWithTheResponseFields() {
    for (int i = 0; i < 3; i++) {
      assertThat(ask("edge", 0, descriptor("remote_address", "203.0.113.1")).getOverallCode())
          .isEqualTo(Code.OK);
    }
    RateLimitResponse over = ask("edge", 0, descriptor("remote_address", "203.0.113.1"));
    assertThat(over.getOverallCode()).isEqualTo(Code.OVER_LIMIT);
    RateLimitResponse.DescriptorStatus s = over.getStatuses(0);
    assertThat(s.getCode()).isEqualTo(Code.OVER_LIMIT);
    assertThat(s.getCurrentLimit().getRequestsPerUnit()).isEqualTo(3);
    assertThat(s.getCurrentLimit().getUnit()).isEqualTo(RateLimitResponse.RateLimit.Unit.HOUR);
    assertThat(s.getCurrentLimit().getName()).isEqualTo("per-address");
    assertThat(s.getLimitRemaining()).isZero();
    assertThat(s.getDurationUntilReset().getSeconds()).isBetween(0L, 3600L);
    assertThat(
            ask("edge", 0, descriptor("remote_address", "203.0.113.2"))
                .getStatuses(0)
                .getLimitRemaining())
        .as("another address has its own count")
        .isEqualTo(2);
  }

  @Test
  void nestedDescriptorsAndHitsAddend() {
    RateLimitResponse r =
        ask("edge", 1, descriptor("remote_address", "203.0.113.9", "path", "/login"));
    assertThat(r.getOverallCode()).isEqualTo(Code.OK);
    assertThat(
            ask("edge", 1, descriptor("remote_address", "203.0.113.9", "path", "/login"))
                .getOverallCode())
        .isEqualTo(Code.OVER_LIMIT);
    assertThat(
            ask("edge", 2, descriptor("remote_address", "203.0.113.10"))
                .getStatuses(0)
                .getLimitRemaining())
        .isEqualTo(1);
    assertThat(
            ask("edge", 1_000_000, descriptor("remote_address", "203.0.113.11")).getOverallCode())
        .as("a huge hits_addend is over the limit and spends nothing")
        .isEqualTo(Code.OVER_LIMIT);
    assertThat(
            ask("edge", 0, descriptor("remote_address", "203.0.113.11"))
                .getStatuses(0)
                .getLimitRemaining())
        .isEqualTo(2);
  }

  @Test
  void unlimitedUnknownAndShadow() {
    for (int i = 0; i < 5; i++) {
      RateLimitResponse u = ask("edge", 0, descriptor("remote_address", "10.0.0.1"));
      assertThat(u.getOverallCode()).isEqualTo(Code.OK);
      assertThat(u.getStatuses(0).hasCurrentLimit()).isFalse();
    }
    assertThat(ask("nope", 0, descriptor("remote_address", "1.2.3.4")).getOverallCode())
        .isEqualTo(Code.OK);
    assertThat(ask("edge", 0, descriptor("user", "bob")).getOverallCode()).isEqualTo(Code.OK);
    assertThat(ask("edge", 0, descriptor("api_key", "k")).getOverallCode()).isEqualTo(Code.OK);
    assertThat(ask("edge", 0, descriptor("api_key", "k")).getOverallCode())
        .as("shadow mode answers OK")
        .isEqualTo(Code.OK);
    assertThat(ts.admin("/metrics").body())
        .containsPattern(
            "tollgate_ratelimit_decisions_total\\{domain=\"edge\",limit=\"api_key\",result=\"shadow_rejected\"} [1-9]");
    ask("edge", 0, descriptor("tenant", "acme"));
    assertThat(ts.admin("/metrics").body())
        .as("detailed_metric labels the value as sent")
        .containsPattern(
            "tollgate_ratelimit_decisions_total\\{domain=\"edge\",limit=\"tenant=acme\",result=\"admitted\"} 1");
    assertThat(
            ask(
                    "edge",
                    0,
                    descriptor("remote_address", "10.0.0.1", "path", "/" + "x".repeat(1 << 20)))
                .getOverallCode())
        .as("a 1 MiB value matches nothing")
        .isEqualTo(Code.OK);
  }

  @Test
  void usageAndTheClusterAreShownAtApiQuotas() throws Exception {
    for (int i = 0; i < 5; i++) {
      ask("edge", 0, descriptor("remote_address", "198.51.100.200"));
    }
    ask("edge", 0, descriptor("remote_address", "198.51.100.201"));
    var resp = ts.admin("/api/quotas");
    assertThat(resp.statusCode()).isEqualTo(200);
    JsonNode api = new ObjectMapper().readTree(resp.body());
    assertThat(api.at("/cluster/role").asText()).isEqualTo("member");
    assertThat(api.at("/cluster/members").asInt()).isEqualTo(1);
    assertThat(api.at("/cluster/reachable").asBoolean()).isTrue();
    JsonNode perAddress = null;
    for (JsonNode l : api.get("limits")) {
      if (l.get("domain").asText().equals("edge")
          && l.get("limit").asText().equals("per-address")) {
        perAddress = l;
      }
    }
    assertThat(perAddress).as("per-address in %s", api).isNotNull();
    assertThat(perAddress.get("admitted").asLong()).isGreaterThanOrEqualTo(3);
    assertThat(perAddress.get("rejected").asLong()).isGreaterThanOrEqualTo(2);
    List<String> top = new java.util.ArrayList<>();
    perAddress.get("topKeys").forEach(k -> top.add(k.get("key").asText()));
    assertThat(top).contains("remote_address=198.51.100.200");
  }

  @Test
  void replacedLimitsAreNotApplied() {
    for (int i = 0; i < 10; i++) {
      RateLimitResponse r =
          ask(
              "edge",
              0,
              descriptor("remote_address", "192.168.1.1"),
              descriptor("remote_address", "203.0.113.50"));
      if (i < 3) {
        assertThat(r.getOverallCode()).isEqualTo(Code.OK);
      }
      assertThat(r.getStatuses(1).hasCurrentLimit())
          .as("per-address is replaced by office")
          .isFalse();
      assertThat(r.getStatuses(0).getCurrentLimit().getName()).isEqualTo("office");
    }
  }

  @Test
  void malformedRequestsGetACleanError() {
    assertThatThrownBy(() -> ask("edge", 0))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .contains("descriptor list must not be empty");
            });
    assertThatThrownBy(() -> ask("", 0, descriptor("a", "b")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void aBadConfigIsRefusedWithItsLocationAndTheOldOneServes() throws Exception {
    Files.writeString(
        dir.resolve("limits.yaml"),
        LIMITS.replace("requests_per_unit: 3,", "requests_per_unit: 0,"));
    try {
      var r = ts.reload();
      assertThat(r.statusCode()).isEqualTo(422);
      assertThat(r.body()).contains("limits.yaml:4:49: requests_per_unit must be positive, not 0");
      assertThat(
              ask("edge", 0, descriptor("remote_address", "203.0.113.77"))
                  .getStatuses(0)
                  .getCurrentLimit()
                  .getRequestsPerUnit())
          .isEqualTo(3);
    } finally {
      Files.writeString(dir.resolve("limits.yaml"), LIMITS);
      assertThat(ts.reload().statusCode()).isEqualTo(200);
    }
  }
}
