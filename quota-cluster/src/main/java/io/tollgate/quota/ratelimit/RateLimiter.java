package io.tollgate.quota.ratelimit;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.QuotaUsage;
import io.tollgate.quota.QuotaUsage.Outcome;
import io.tollgate.quota.config.DescriptorMatcher;
import io.tollgate.quota.config.DomainConfig;
import io.tollgate.quota.config.RateLimit;
import io.tollgate.quota.ratelimit.RateLimitDecision.DescriptorStatus;
import io.tollgate.quota.ratelimit.RateLimitDecision.Header;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code RateLimiter} answers a rate-limit request as envoyproxy/ratelimit does: each descriptor is
 * matched in the request's domain ({@link DescriptorMatcher}); a descriptor without a limit
 * (unknown domain or entries, {@code unlimited}) is OK; otherwise the request's hits ({@code
 * hits_addend}, 1 when 0) are spent from the quotas. A descriptor in shadow mode that is over its
 * limit is answered OK (and counted). A limit another matched limit {@code replaces} is not
 * applied. The request is over the limit when any descriptor is.
 *
 * <p>If the quotas fail or miss their deadline, the descriptor is answered OK (Envoy's {@code
 * failure_mode_deny: false}), or OVER_LIMIT when the domain's config ({@code failure_mode_deny:
 * true}) or else the server says to fail closed; the failure is recorded either way.
 *
 * <p>With response headers on, the answer carries {@code RateLimit-Limit}, {@code
 * RateLimit-Remaining} and {@code RateLimit-Reset} (seconds) of the limit closest to being spent,
 * as envoyproxy/ratelimit does, for Envoy to add to the client's response.
 *
 * <p>Every decision is recorded in the {@link QuotaUsage} and told to the {@link
 * RateLimitListener}, except those of a warm-up limiter ({@link #forWarmUp}). Thread-safe.
 */
public final class RateLimiter {
  /**
   * Longest descriptor key or value accepted (Envoy sends short strings); longer ones match none.
   */
  public static final int MAX_VALUE_LENGTH = 4096;

  private final Quotas quotas;
  private final QuotaUsage usage;
  private final RateLimitListener listener;
  private final boolean failClosed;
  private final boolean responseHeaders;

  /** A warm-up records nothing and fails when the quotas fail. */
  private final boolean warmUp;

  private RateLimiter(
      Quotas quotas,
      QuotaUsage usage,
      RateLimitListener listener,
      boolean failClosed,
      boolean responseHeaders,
      boolean warmUp) {
    this.quotas = Objects.requireNonNull(quotas, "quotas");
    this.usage = usage;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.failClosed = failClosed;
    this.responseHeaders = responseHeaders;
    this.warmUp = warmUp;
  }

  /**
   * A limiter that spends from {@code quotas}, records every decision in {@code usage} and tells
   * {@code listener}.
   *
   * @param failClosed the answer when the quotas fail, for domains whose config does not say:
   *     OVER_LIMIT ({@code true}) or OK
   * @param responseHeaders whether answers carry the {@code RateLimit-*} headers
   */
  public static RateLimiter create(
      Quotas quotas,
      QuotaUsage usage,
      RateLimitListener listener,
      boolean failClosed,
      boolean responseHeaders) {
    return new RateLimiter(
        quotas,
        Objects.requireNonNull(usage, "usage"),
        listener,
        failClosed,
        responseHeaders,
        false);
  }

  /**
   * A limiter for the server's own warm-up: it records nothing, and a failure of the quotas is
   * thrown instead of answered by the failure mode, so that the warm-up sees it.
   */
  public static RateLimiter forWarmUp(Quotas quotas, boolean responseHeaders) {
    return new RateLimiter(quotas, null, RateLimitListener.NONE, false, responseHeaders, true);
  }

  /**
   * Checks what every rate-limit request needs: a domain and at least one descriptor.
   *
   * @throws IllegalArgumentException saying what is missing
   */
  public static void checkRequest(String domain, int descriptors) {
    if (domain.isEmpty()) {
      throw new IllegalArgumentException("rate limit domain must not be empty");
    }
    if (descriptors == 0) {
      throw new IllegalArgumentException("rate limit descriptor list must not be empty");
    }
  }

  /**
   * Decides a request with the limits of {@code limits}.
   *
   * @param limits the descriptor config; {@code null} for none, when every descriptor is OK
   * @param domain the request's domain
   * @param descriptors the request's descriptors, each its entries in order
   * @param hitsAddend the hits to spend from each limit ({@code hits_addend}, unsigned); 0 means 1
   * @throws IllegalArgumentException when {@link #checkRequest} does
   * @throws RuntimeException what the quotas throw, for a warm-up limiter only
   */
  public RateLimitDecision decide(
      DescriptorMatcher limits,
      String domain,
      List<List<DescriptorMatcher.Entry>> descriptors,
      long hitsAddend) {
    checkRequest(domain, descriptors.size());
    long hits = hitsAddend == 0 ? 1 : hitsAddend;
    List<DescriptorMatcher.Match> matches = new ArrayList<>(descriptors.size());
    for (List<DescriptorMatcher.Entry> entries : descriptors) {
      matches.add(limits == null || tooLong(entries) ? null : limits.match(domain, entries));
    }
    Set<String> replaced = new HashSet<>();
    for (DescriptorMatcher.Match m : matches) {
      if (m != null) {
        replaced.addAll(m.limit().replaces());
      }
    }
    DomainConfig config = limits == null ? null : limits.domain(domain);
    boolean failDeny =
        config != null && config.failureModeDeny() != null ? config.failureModeDeny() : failClosed;
    List<DescriptorStatus> statuses = new ArrayList<>(matches.size());
    for (DescriptorMatcher.Match m : matches) {
      statuses.add(
          applies(m, replaced) ? spend(domain, m, hits, failDeny) : DescriptorStatus.NOT_LIMITED);
    }
    return new RateLimitDecision(statuses, responseHeaders ? headers(statuses) : List.of());
  }

  private static boolean tooLong(List<DescriptorMatcher.Entry> entries) {
    for (DescriptorMatcher.Entry e : entries) {
      if (e.key().length() > MAX_VALUE_LENGTH || e.value().length() > MAX_VALUE_LENGTH) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code m} has a limit to spend from: matched, limited, not replaced by name. */
  private static boolean applies(DescriptorMatcher.Match m, Set<String> replaced) {
    return m != null
        && !m.limit().unlimited()
        && !(replaced.contains(m.limit().name()) && !m.limit().name().isEmpty());
  }

  private DescriptorStatus spend(
      String domain, DescriptorMatcher.Match m, long hits, boolean failDeny) {
    RateLimit limit = m.limit();
    long start = System.nanoTime();
    Quotas.Limit quota = null;
    try {
      quota = new Quotas.Limit(limit.requestsPerUnit(), limit.unit().window(), limit.mode());
      Quotas.Decision d = quotas.tryConsume(m.bucketKey(), quota, hits);
      long nanos = System.nanoTime() - start;
      boolean shadow = m.descriptor().shadowMode();
      if (!warmUp) {
        listener.decided(domain, m, d, nanos);
        usage.record(
            domain,
            m.limitId(),
            m.bucketKey(),
            quota,
            hits,
            d.allowed() ? Outcome.ADMITTED : shadow ? Outcome.SHADOW_REJECTED : Outcome.REJECTED);
      }
      return new DescriptorStatus(!d.allowed() && !shadow, limit, d, !d.allowed() && shadow);
    } catch (RuntimeException e) {
      if (warmUp) {
        throw e;
      }
      listener.failed(domain, m, failDeny, e);
      usage.record(domain, m.limitId(), m.bucketKey(), quota, hits, Outcome.FAILED);
      return new DescriptorStatus(failDeny, limit, null, false);
    }
  }

  /**
   * The headers of the decided limit with the fewest hits left (the first of them on a tie); the
   * reset in whole seconds, rounded up, at least 1.
   */
  private static List<Header> headers(List<DescriptorStatus> statuses) {
    Quotas.Decision closest = null;
    for (DescriptorStatus s : statuses) {
      if (s.quota() != null && (closest == null || s.quota().remaining() < closest.remaining())) {
        closest = s.quota();
      }
    }
    if (closest == null) {
      return List.of();
    }
    long reset = Math.max(1, (closest.untilReset().toMillis() + 999) / 1000);
    return List.of(
        new Header("RateLimit-Limit", Long.toString(closest.limit())),
        new Header("RateLimit-Remaining", Long.toString(closest.remaining())),
        new Header("RateLimit-Reset", Long.toString(reset)));
  }
}
