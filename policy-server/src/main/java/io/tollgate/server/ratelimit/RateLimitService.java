package io.tollgate.server.ratelimit;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.tollgate.adapter.spi.Quotas;
import io.tollgate.common.errors.ErrorIds;
import io.tollgate.quota.QuotaUsage;
import io.tollgate.quota.config.DescriptorMatcher;
import io.tollgate.quota.config.ReservedDomains;
import io.tollgate.quota.ratelimit.RateLimitListener;
import io.tollgate.quota.ratelimit.RateLimiter;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.WarmUp;
import io.tollgate.rules.snapshot.PolicySnapshot;
import io.tollgate.server.warmup.WarmUpCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RateLimitService} answers Envoy's {@code envoy.service.ratelimit.v3.RateLimitService/
 * ShouldRateLimit} with the serving policy's descriptor config: it translates the request for a
 * {@link RateLimiter}, which decides as envoyproxy/ratelimit does, and the decision back ({@link
 * RateLimitResponses}). Decisions are counted in {@link RateLimitMetrics}; failures of the quota
 * cluster are logged at most every 10 s.
 *
 * <p>The server's own warm-up ({@link WarmUpCalls}) calls on the reserved domain {@value
 * ReservedDomains#WARM_UP}, which no user config may name; such a call from anyone else finds no
 * limit there and spends nothing. A warm-up call that the cluster fails fails too (it is not
 * answered by the failure mode), so that the warm-up sees it. Any other failure is answered {@code
 * INTERNAL} with {@link ErrorIds#clientMessage}, its detail in the log under the same id.
 */
public final class RateLimitService extends RateLimitServiceGrpc.RateLimitServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(RateLimitService.class);

  private static final long FAILURE_LOG_INTERVAL_NANOS = 10_000_000_000L;

  /** The limits warm-up calls spend from; only the server's own warm-up reaches them. */
  private static final DescriptorMatcher WARM_UP =
      new DescriptorMatcher(Map.of(ReservedDomains.WARM_UP, ReservedDomains.warmUp()));

  private final PolicyRuntime runtime;
  private final RateLimiter limiter;
  private final RateLimiter warmUpLimiter;

  public RateLimitService(
      PolicyRuntime runtime,
      Quotas quotas,
      RateLimitMetrics metrics,
      QuotaUsage usage,
      boolean failClosed,
      boolean responseHeaders) {
    this.runtime = runtime;
    this.limiter =
        RateLimiter.create(quotas, usage, new Counting(metrics), failClosed, responseHeaders);
    this.warmUpLimiter = RateLimiter.forWarmUp(quotas, responseHeaders);
  }

  @Override
  public void shouldRateLimit(RateLimitRequest request, StreamObserver<RateLimitResponse> out) {
    try {
      RateLimiter.checkRequest(request.getDomain(), request.getDescriptorsCount());
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    boolean warmUp = WarmUpCalls.current() && request.getDomain().equals(ReservedDomains.WARM_UP);
    if (warmUp) {
      try {
        WarmUp.call(
            () -> {
              decide(request, out, runtime.warmUpSnapshot(), true);
              return null;
            });
      } catch (RuntimeException e) {
        out.onError(Status.UNAVAILABLE.withDescription("warm-up: " + e).asRuntimeException());
      }
    } else {
      try {
        decide(request, out, runtime.snapshot(), false);
      } catch (RuntimeException e) {
        // A failure of the quota cluster is answered by the failure mode inside decide; what
        // arrives here is a bug of ours, whose text is for the log only.
        String id = ErrorIds.next();
        log.error("rate-limit call failed (id {})", id, e);
        out.onError(
            Status.INTERNAL.withDescription(ErrorIds.clientMessage(id)).asRuntimeException());
      }
    }
  }

  /**
   * Decides with {@code snapshot}'s limits. A warm-up ({@code warmUp}) spends from the warm-up
   * domain's own limits, where the version has any limits at all (else nothing, like a real call),
   * and is recorded in no metric and no usage.
   */
  private void decide(
      RateLimitRequest request,
      StreamObserver<RateLimitResponse> out,
      PolicySnapshot snapshot,
      boolean warmUp) {
    DescriptorMatcher served =
        snapshot == null ? null : snapshot.rateLimits(DescriptorMatcher.class);
    DescriptorMatcher limits = served == null ? null : warmUp ? WARM_UP : served;
    List<List<DescriptorMatcher.Entry>> descriptors =
        new ArrayList<>(request.getDescriptorsCount());
    for (RateLimitDescriptor d : request.getDescriptorsList()) {
      List<DescriptorMatcher.Entry> entries = new ArrayList<>(d.getEntriesCount());
      for (RateLimitDescriptor.Entry e : d.getEntriesList()) {
        entries.add(new DescriptorMatcher.Entry(e.getKey(), e.getValue()));
      }
      descriptors.add(entries);
    }
    out.onNext(
        RateLimitResponses.of(
            (warmUp ? warmUpLimiter : limiter)
                .decide(
                    limits,
                    request.getDomain(),
                    descriptors,
                    Integer.toUnsignedLong(request.getHitsAddend()))));
    out.onCompleted();
  }

  /** A bucket key as dashboards show it: the descriptor's entries as sent, without the domain. */
  public static String displayKey(String bucketKey) {
    return bucketKey.substring(bucketKey.indexOf('\u001f') + 1).replace('\u001f', '/');
  }

  /** Counts decisions in the metrics and logs failures of the quota cluster, at most every 10 s. */
  private static final class Counting implements RateLimitListener {
    private final RateLimitMetrics metrics;
    private final AtomicLong lastFailureLog =
        new AtomicLong(System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS - 1);

    Counting(RateLimitMetrics metrics) {
      this.metrics = metrics;
    }

    @Override
    public void decided(
        String domain, DescriptorMatcher.Match match, Quotas.Decision decision, long nanos) {
      metrics.timed(match.limit().mode(), nanos);
      metrics.decided(domain, match.limitId(), decision.allowed(), match.descriptor().shadowMode());
    }

    @Override
    public void failed(
        String domain, DescriptorMatcher.Match match, boolean deny, RuntimeException cause) {
      metrics.failed(domain, deny);
      long now = System.nanoTime();
      long last = lastFailureLog.get();
      if (now - last > FAILURE_LOG_INTERVAL_NANOS && lastFailureLog.compareAndSet(last, now)) {
        log.warn(
            "quota cluster failed for domain {}; answering {} (failure mode {}; logged at most every 10s, "
                + "all counted in tollgate_ratelimit_failures_total): {}",
            domain,
            deny ? "OVER_LIMIT" : "OK",
            deny ? "deny" : "allow",
            cause.toString());
      }
    }
  }
}
