package io.tollgate.server.ratelimit;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.QuotaUsage;
import io.tollgate.quota.QuotaUsage.Outcome;
import io.tollgate.quota.config.DescriptorMatcher;
import io.tollgate.quota.config.DomainConfig;
import io.tollgate.quota.config.RateLimit;
import io.tollgate.quota.config.RateLimitUnit;
import io.tollgate.quota.config.ReservedDomains;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.PolicySnapshot;
import io.tollgate.rules.WarmUp;
import io.tollgate.server.warmup.WarmUpCalls;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RateLimitService} answers Envoy's {@code envoy.service.ratelimit.v3.RateLimitService/
 * ShouldRateLimit} as envoyproxy/ratelimit does: each descriptor is matched in the request's domain
 * ({@link DescriptorMatcher}); a descriptor without a limit (unknown domain or entries, {@code
 * unlimited}) is OK; otherwise {@code hits_addend} hits (1 when 0) are spent from the quota
 * cluster. A descriptor in shadow mode that is over its limit is answered OK (and counted). A limit
 * another matched limit {@code replaces} is not applied. The overall code is OVER_LIMIT when any
 * descriptor is.
 *
 * <p>If the quota cluster fails or misses its deadline, the descriptor is answered OK (Envoy's
 * {@code failure_mode_deny: false}), or OVER_LIMIT when the domain's config ({@code
 * failure_mode_deny: true}) or else the server says to fail closed; the failure is counted either
 * way.
 *
 * <p>With response headers on, the answer carries {@code RateLimit-Limit}, {@code
 * RateLimit-Remaining} and {@code RateLimit-Reset} (seconds) of the limit closest to being spent,
 * as envoyproxy/ratelimit does, for Envoy to add to the client's response.
 *
 * <p>The server's own warm-up ({@link WarmUpCalls}) calls on the reserved domain {@value
 * ReservedDomains#WARM_UP}, which no user config may name; such a call from anyone else finds no
 * limit there and spends nothing. A warm-up call that the cluster fails fails too (it is not
 * answered by the failure mode), so that the warm-up sees it.
 */
public final class RateLimitService extends RateLimitServiceGrpc.RateLimitServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(RateLimitService.class);

  /** Longest descriptor key or value accepted (Envoy sends short strings). */
  static final int MAX_VALUE_LENGTH = 4096;

  private static final long FAILURE_LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final PolicyRuntime runtime;
  private final Quotas quotas;
  private final RateLimitMetrics metrics;
  private final boolean failClosed;
  private final boolean responseHeaders;
  private final QuotaUsage usage;
  private final AtomicLong lastFailureLog =
      new AtomicLong(System.nanoTime() - FAILURE_LOG_INTERVAL_NANOS - 1);

  /** The limits warm-up calls spend from; only the server's own warm-up reaches them. */
  private static final DescriptorMatcher WARM_UP =
      new DescriptorMatcher(java.util.Map.of(ReservedDomains.WARM_UP, ReservedDomains.warmUp()));

  public RateLimitService(
      PolicyRuntime runtime,
      Quotas quotas,
      RateLimitMetrics metrics,
      QuotaUsage usage,
      boolean failClosed,
      boolean responseHeaders) {
    this.runtime = runtime;
    this.usage = usage;
    this.quotas = quotas;
    this.metrics = metrics;
    this.failClosed = failClosed;
    this.responseHeaders = responseHeaders;
  }

  @Override
  public void shouldRateLimit(RateLimitRequest request, StreamObserver<RateLimitResponse> out) {
    if (request.getDomain().isEmpty()) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription("rate limit domain must not be empty")
              .asRuntimeException());
      return;
    }
    if (request.getDescriptorsCount() == 0) {
      out.onError(
          Status.INVALID_ARGUMENT
              .withDescription("rate limit descriptor list must not be empty")
              .asRuntimeException());
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
      decide(request, out, runtime.snapshot(), false);
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
    DescriptorMatcher matcher =
        snapshot == null || !(snapshot.rateLimits() instanceof DescriptorMatcher m)
            ? null
            : warmUp ? WARM_UP : m;
    long hits = request.getHitsAddend() == 0 ? 1 : Integer.toUnsignedLong(request.getHitsAddend());

    List<DescriptorMatcher.Match> matches = new ArrayList<>();
    for (RateLimitDescriptor d : request.getDescriptorsList()) {
      List<DescriptorMatcher.Entry> entries = new ArrayList<>(d.getEntriesCount());
      boolean tooLong = false;
      for (RateLimitDescriptor.Entry e : d.getEntriesList()) {
        tooLong |=
            e.getKey().length() > MAX_VALUE_LENGTH || e.getValue().length() > MAX_VALUE_LENGTH;
        entries.add(new DescriptorMatcher.Entry(e.getKey(), e.getValue()));
      }
      matches.add(matcher == null || tooLong ? null : matcher.match(request.getDomain(), entries));
    }
    Set<String> replaced = new HashSet<>();
    for (DescriptorMatcher.Match m : matches) {
      if (m != null) {
        replaced.addAll(m.limit().replaces());
      }
    }

    DomainConfig domain = matcher == null ? null : matcher.domain(request.getDomain());
    boolean failDeny =
        domain != null && domain.failureModeDeny() != null ? domain.failureModeDeny() : failClosed;
    RateLimitResponse.Builder response = RateLimitResponse.newBuilder();
    Quotas.Decision closest = null;
    boolean over = false;
    for (DescriptorMatcher.Match m : matches) {
      RateLimitResponse.DescriptorStatus.Builder status =
          RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK);
      if (m != null
          && !m.limit().unlimited()
          && !(replaced.contains(m.limit().name()) && !m.limit().name().isEmpty())) {
        RateLimit limit = m.limit();
        status.setCurrentLimit(
            RateLimitResponse.RateLimit.newBuilder()
                .setName(limit.name())
                .setRequestsPerUnit((int) Math.min(Integer.MAX_VALUE, limit.requestsPerUnit()))
                .setUnit(unit(limit.unit())));
        long start = System.nanoTime();
        Quotas.Limit quota = null;
        try {
          quota = new Quotas.Limit(limit.requestsPerUnit(), limit.unit().window(), limit.mode());
          Quotas.Decision d = quotas.tryConsume(m.bucketKey(), quota, hits);
          if (!warmUp) {
            metrics.timed(limit.mode(), System.nanoTime() - start);
          }
          if (closest == null || d.remaining() < closest.remaining()) {
            closest = d;
          }
          status
              .setLimitRemaining((int) Math.min(Integer.MAX_VALUE, d.remaining()))
              .setDurationUntilReset(
                  Duration.newBuilder()
                      .setSeconds(d.untilReset().getSeconds())
                      .setNanos(d.untilReset().getNano()));
          boolean shadow = m.descriptor().shadowMode();
          if (!warmUp) {
            metrics.decided(request.getDomain(), m.limitId(), d.allowed(), shadow);
            usage.record(
                request.getDomain(),
                m.limitId(),
                m.bucketKey(),
                quota,
                hits,
                d.allowed()
                    ? Outcome.ADMITTED
                    : shadow ? Outcome.SHADOW_REJECTED : Outcome.REJECTED);
          }
          if (!d.allowed() && !shadow) {
            status.setCode(RateLimitResponse.Code.OVER_LIMIT);
            over = true;
          }
        } catch (RuntimeException e) {
          if (warmUp) {
            throw e;
          }
          metrics.failed(request.getDomain(), failDeny);
          usage.record(
              request.getDomain(), m.limitId(), m.bucketKey(), quota, hits, Outcome.FAILED);
          long now = System.nanoTime();
          long last = lastFailureLog.get();
          if (now - last > FAILURE_LOG_INTERVAL_NANOS && lastFailureLog.compareAndSet(last, now)) {
            log.warn(
                "quota cluster failed for domain {}; answering {} (failure mode {}; logged at most every 10s, "
                    + "all counted in tollgate_ratelimit_failures_total): {}",
                request.getDomain(),
                failDeny ? "OVER_LIMIT" : "OK",
                failDeny ? "deny" : "allow",
                e.toString());
          }
          if (failDeny) {
            status.setCode(RateLimitResponse.Code.OVER_LIMIT);
            over = true;
          }
        }
      }
      response.addStatuses(status);
    }
    response.setOverallCode(over ? RateLimitResponse.Code.OVER_LIMIT : RateLimitResponse.Code.OK);
    if (responseHeaders && closest != null) {
      long reset = Math.max(1, (closest.untilReset().toMillis() + 999) / 1000);
      response
          .addResponseHeadersToAdd(header("RateLimit-Limit", Long.toString(closest.limit())))
          .addResponseHeadersToAdd(
              header("RateLimit-Remaining", Long.toString(closest.remaining())))
          .addResponseHeadersToAdd(header("RateLimit-Reset", Long.toString(reset)));
    }
    out.onNext(response.build());
    out.onCompleted();
  }

  /** A bucket key as dashboards show it: the descriptor's entries as sent, without the domain. */
  public static String displayKey(String bucketKey) {
    return bucketKey.substring(bucketKey.indexOf('\u001f') + 1).replace('\u001f', '/');
  }

  private static HeaderValue header(String name, String value) {
    return HeaderValue.newBuilder().setKey(name).setValue(value).build();
  }

  private static RateLimitResponse.RateLimit.Unit unit(RateLimitUnit u) {
    return switch (u) {
      case SECOND -> RateLimitResponse.RateLimit.Unit.SECOND;
      case MINUTE -> RateLimitResponse.RateLimit.Unit.MINUTE;
      case HOUR -> RateLimitResponse.RateLimit.Unit.HOUR;
      case DAY -> RateLimitResponse.RateLimit.Unit.DAY;
    };
  }
}
