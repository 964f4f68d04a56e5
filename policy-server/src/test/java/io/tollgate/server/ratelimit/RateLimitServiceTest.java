package io.tollgate.server.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.quota.QuotaService;
import io.tollgate.rules.PolicyRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The failure mode, with a quota service that fails (a fake of our own interface). */
class RateLimitServiceTest {
  @TempDir Path dir;

  static final QuotaService BROKEN = new QuotaService() {
    @Override
    public Decision tryConsume(String key, Limit limit, long hits) {
      throw new IllegalStateException("cluster unreachable");
    }

    @Override
    public void close() {}
  };

  RateLimitResponse ask(boolean failClosed) throws Exception {
    Files.writeString(dir.resolve("limits.yaml"),
        "domain: edge\ndescriptors:\n  - key: tenant\n    rate_limit: {unit: hour, requests_per_unit: 5}\n");
    try (PolicyRuntime rt = PolicyRuntime.start(
        PolicyRuntime.Options.of(dir, null).withRateLimits(new RateLimitConfigs()))) {
      RateLimitService s = new RateLimitService(rt, () -> BROKEN, new RateLimitMetrics(new PrometheusRegistry()), failClosed);
      AtomicReference<RateLimitResponse> got = new AtomicReference<>();
      s.shouldRateLimit(RateLimitRequest.newBuilder().setDomain("edge")
          .addDescriptors(RateLimitDescriptor.newBuilder()
              .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("tenant").setValue("t")))
          .build(), new StreamObserver<>() {
            @Override public void onNext(RateLimitResponse r) { got.set(r); }
            @Override public void onError(Throwable t) { throw new AssertionError(t); }
            @Override public void onCompleted() { }
          });
      return got.get();
    }
  }

  @Test
  void failureModeAllowAnswersOk() throws Exception {
    assertThat(ask(false).getOverallCode()).isEqualTo(RateLimitResponse.Code.OK);
  }

  @Test
  void failureModeDenyAnswersOverLimit() throws Exception {
    RateLimitResponse r = ask(true);
    assertThat(r.getOverallCode()).isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
    assertThat(r.getStatuses(0).getCurrentLimit().getRequestsPerUnit()).isEqualTo(5);
  }
}
