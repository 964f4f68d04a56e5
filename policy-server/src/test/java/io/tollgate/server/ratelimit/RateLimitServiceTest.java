package io.tollgate.server.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.QuotaUsage;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.RuntimeOptions;
import io.tollgate.server.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failure modes and response headers, with quotas that are fakes of our own interface. */
class RateLimitServiceTest {
  @TempDir Path dir;
  final QuotaUsage usage = new QuotaUsage();

  static final Quotas BROKEN =
      (key, limit, hits) -> {
        throw new IllegalStateException("cluster unreachable");
      };

  /** Every limit has as much left as its key is long: enough to tell which one the headers name. */
  static final Quotas BY_KEY_LENGTH =
      (key, limit, hits) ->
          new Quotas.Decision(true, limit.requests(), key.length(), Duration.ofMillis(2500));

  RateLimitResponse ask(String top, boolean failClosed, Quotas quotas, boolean headers)
      throws Exception {
    Answer a = call(top, failClosed, quotas, headers);
    if (a.error() != null) {
      throw new AssertionError(a.error());
    }
    return a.response();
  }

  /** A response or the error the call was answered with. */
  record Answer(RateLimitResponse response, Throwable error) {}

  Answer call(String top, boolean failClosed, Quotas quotas, boolean headers) throws Exception {
    Files.writeString(
        dir.resolve("limits.yaml"),
        "domain: edge\n"
            + top
            + "descriptors:\n"
            + "  - key: tenant\n    rate_limit: {unit: hour, requests_per_unit: 5}\n"
            + "  - key: path\n    rate_limit: {unit: minute, requests_per_unit: 50, mode: fast}\n");
    try (PolicyRuntime rt =
        PolicyRuntime.start(RuntimeOptions.of(dir, null).withRateLimits(new RateLimitConfigs()))) {
      RateLimitService s =
          new RateLimitService(
              rt,
              quotas,
              new RateLimitMetrics(new PrometheusRegistry()),
              usage,
              failClosed,
              headers);
      AtomicReference<RateLimitResponse> got = new AtomicReference<>();
      AtomicReference<Throwable> error = new AtomicReference<>();
      s.shouldRateLimit(
          RateLimitRequest.newBuilder()
              .setDomain("edge")
              .addDescriptors(
                  RateLimitDescriptor.newBuilder()
                      .addEntries(
                          RateLimitDescriptor.Entry.newBuilder().setKey("tenant").setValue("t")))
              .addDescriptors(
                  RateLimitDescriptor.newBuilder()
                      .addEntries(
                          RateLimitDescriptor.Entry.newBuilder()
                              .setKey("path")
                              .setValue("/a/long/path")))
              .build(),
          new StreamObserver<>() {
            @Override
            public void onNext(RateLimitResponse r) {
              got.set(r);
            }

            @Override
            public void onError(Throwable t) {
              error.set(t);
            }

            @Override
            public void onCompleted() {}
          });
      return new Answer(got.get(), error.get());
    }
  }

  @Test
  void aFailureOfOursAnswersInternalWithAnIdAndLogsTheDetail() throws Exception {
    // A quota failure whose logging itself throws: a bug past the failure mode's reach.
    Quotas buggy =
        (key, limit, hits) -> {
          throw new IllegalStateException() {
            @Override
            public String toString() {
              throw new IllegalArgumentException("secret detail /etc/tollgate/key.pem");
            }
          };
        };
    Answer a;
    try (LogCapture logs = LogCapture.of(RateLimitService.class)) {
      a = call("", false, buggy, false);
      Status status = Status.fromThrowable(a.error());
      assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(status.getDescription())
          .matches("internal error \\(id [0-9a-f]{8}\\); the server log has the details")
          .doesNotContain("secret");
      String id = status.getDescription().replaceAll(".*id ([0-9a-f]{8}).*", "$1");
      assertThat(logs.events())
          .anySatisfy(
              e -> {
                assertThat(e.getFormattedMessage()).contains(id);
                assertThat(e.getThrowableProxy().getMessage()).contains("secret detail");
              });
    }
  }

  @Test
  void failureModeAllowAnswersOk() throws Exception {
    assertThat(ask("", false, BROKEN, false).getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
  }

  @Test
  void failureModeDenyAnswersOverLimit() throws Exception {
    RateLimitResponse r = ask("", true, BROKEN, false);
    assertThat(r.getOverallCode()).isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
    assertThat(r.getStatuses(0).getCurrentLimit().getRequestsPerUnit()).isEqualTo(5);
    assertThat(usage.snapshot(5)).extracting(QuotaUsage.LimitUsage::failed).containsExactly(1L, 1L);
  }

  @Test
  void usageIsRecordedPerLimitWithTheKeysAsSent() throws Exception {
    ask("", false, BY_KEY_LENGTH, false);
    ask("", false, BY_KEY_LENGTH, false);
    assertThat(usage.snapshot(5))
        .extracting(QuotaUsage.LimitUsage::limit)
        .containsExactlyInAnyOrder("tenant", "path");
    QuotaUsage.LimitUsage path =
        usage.snapshot(5, QuotaUsage.Remaining.UNKNOWN, RateLimitService::displayKey).stream()
            .filter(l -> l.limit().equals("path"))
            .findFirst()
            .orElseThrow();
    assertThat(path.admitted()).isEqualTo(2);
    assertThat(path.topKeys())
        .extracting(QuotaUsage.TopKey::key)
        .containsExactly("path=/a/long/path");
  }

  @Test
  void aDomainsFailureModeOverridesTheServers() throws Exception {
    assertThat(ask("failure_mode_deny: true\n", false, BROKEN, false).getOverallCode())
        .isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
    assertThat(ask("failure_mode_deny: false\n", true, BROKEN, false).getOverallCode())
        .isEqualTo(RateLimitResponse.Code.OK);
  }

  @Test
  void responseHeadersNameTheLimitClosestToBeingSpent() throws Exception {
    RateLimitResponse r = ask("", false, BY_KEY_LENGTH, true);
    Map<String, String> h =
        r.getResponseHeadersToAddList().stream()
            .collect(Collectors.toMap(HeaderValue::getKey, HeaderValue::getValue));
    // The tenant key is the shorter one, so it has less left.
    assertThat(h)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "RateLimit-Limit",
                "5",
                "RateLimit-Remaining",
                String.valueOf("edge\u001ftenant=t".length()),
                "RateLimit-Reset",
                "3"));
    assertThat(ask("", false, BY_KEY_LENGTH, false).getResponseHeadersToAddCount())
        .as("off by default")
        .isZero();
  }

  @Test
  void eachLimitIsSpentInItsMode() throws Exception {
    Map<String, Quotas.Mode> modes = new java.util.concurrent.ConcurrentHashMap<>();
    ask(
        "",
        false,
        (key, limit, hits) -> {
          modes.put(key.substring(key.indexOf('\u001f') + 1, key.indexOf('=')), limit.mode());
          return new Quotas.Decision(true, limit.requests(), 1, Duration.ofSeconds(1));
        },
        false);
    assertThat(modes)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("tenant", Quotas.Mode.STRICT, "path", Quotas.Mode.FAST));
  }
}
