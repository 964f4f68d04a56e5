package io.tollgate.server.ratelimit;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.tollgate.quota.config.RateLimit;
import io.tollgate.quota.config.RateLimitUnit;
import io.tollgate.quota.ratelimit.RateLimitDecision;
import io.tollgate.quota.ratelimit.RateLimitDecision.DescriptorStatus;

/** {@code RateLimitResponses} turns a {@link RateLimitDecision} into Envoy's RLS v3 response. */
final class RateLimitResponses {
  private RateLimitResponses() {}

  static RateLimitResponse of(RateLimitDecision decision) {
    RateLimitResponse.Builder response = RateLimitResponse.newBuilder();
    for (DescriptorStatus s : decision.statuses()) {
      response.addStatuses(status(s));
    }
    response.setOverallCode(code(decision.overLimit()));
    for (RateLimitDecision.Header h : decision.headers()) {
      response.addResponseHeadersToAdd(
          HeaderValue.newBuilder().setKey(h.name()).setValue(h.value()));
    }
    return response.build();
  }

  private static RateLimitResponse.DescriptorStatus status(DescriptorStatus s) {
    RateLimitResponse.DescriptorStatus.Builder status =
        RateLimitResponse.DescriptorStatus.newBuilder().setCode(code(s.overLimit()));
    RateLimit limit = s.limit();
    if (limit != null) {
      status.setCurrentLimit(
          RateLimitResponse.RateLimit.newBuilder()
              .setName(limit.name())
              .setRequestsPerUnit((int) Math.min(Integer.MAX_VALUE, limit.requestsPerUnit()))
              .setUnit(unit(limit.unit())));
    }
    if (s.quota() != null) {
      java.time.Duration reset = s.quota().untilReset();
      status
          .setLimitRemaining((int) Math.min(Integer.MAX_VALUE, s.quota().remaining()))
          .setDurationUntilReset(
              Duration.newBuilder().setSeconds(reset.getSeconds()).setNanos(reset.getNano()));
    }
    return status.build();
  }

  private static RateLimitResponse.Code code(boolean overLimit) {
    return overLimit ? RateLimitResponse.Code.OVER_LIMIT : RateLimitResponse.Code.OK;
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
