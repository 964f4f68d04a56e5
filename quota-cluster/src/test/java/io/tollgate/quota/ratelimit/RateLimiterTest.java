package io.tollgate.quota.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.LocalQuotas;
import io.tollgate.quota.QuotaUsage;
import io.tollgate.quota.QuotaUsage.LimitUsage;
import io.tollgate.quota.config.DescriptorMatcher;
import io.tollgate.quota.config.DescriptorMatcher.Entry;
import io.tollgate.quota.config.RateLimitConfigParser;
import io.tollgate.quota.ratelimit.RateLimitDecision.DescriptorStatus;
import io.tollgate.quota.ratelimit.RateLimitDecision.Header;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** envoyproxy/ratelimit's semantics over quotas that are fakes or kept in memory: no gRPC. */
class RateLimiterTest {
  static final String CONFIG =
      """
      domain: edge
      descriptors:
        - key: tenant
          rate_limit: {unit: hour, requests_per_unit: 5, name: per-tenant}
          descriptors:
            - key: plan
              value: gold
              rate_limit:
                unit: hour
                requests_per_unit: 50
                replaces: [{name: per-tenant}]
        - key: vip
          rate_limit: {unlimited: true}
        - key: path
          rate_limit: {unit: minute, requests_per_unit: 3, mode: fast}
        - key: trial
          shadow_mode: true
          rate_limit: {unit: minute, requests_per_unit: 1}
        - key: premium
          rate_limit:
            unit: day
            requests_per_unit: 1000
            replaces: [{name: per-tenant}]
      """;

  static final DescriptorMatcher LIMITS = limits(CONFIG);

  /** 12:00:10: 50 s left in the minute, 59 min 50 s in the hour. */
  final LocalQuotas local =
      new LocalQuotas(Clock.fixed(Instant.parse("2026-03-01T12:00:10Z"), ZoneOffset.UTC));

  final QuotaUsage usage = new QuotaUsage();
  final List<String> spent = Collections.synchronizedList(new ArrayList<>());
  final List<String> heard = Collections.synchronizedList(new ArrayList<>());

  /** The in-memory quotas, noting each key spent from. */
  final Quotas recording =
      (key, limit, hits) -> {
        spent.add(key.substring(key.indexOf('\u001f') + 1) + " x" + hits);
        return local.tryConsume(key, limit, hits);
      };

  static final Quotas BROKEN =
      (key, limit, hits) -> {
        throw new IllegalStateException("cluster unreachable");
      };

  final RateLimitListener listener =
      new RateLimitListener() {
        @Override
        public void decided(
            String domain, DescriptorMatcher.Match match, Quotas.Decision decision, long nanos) {
          assertThat(nanos).isNotNegative();
          heard.add("decided " + domain + " " + match.limitId() + " " + decision.allowed());
        }

        @Override
        public void failed(
            String domain, DescriptorMatcher.Match match, boolean deny, RuntimeException cause) {
          heard.add("failed " + domain + " " + match.limitId() + " deny=" + deny);
        }
      };

  static DescriptorMatcher limits(String yaml) {
    RateLimitConfigParser.Result r = RateLimitConfigParser.parse("limits.yaml", yaml);
    assertThat(r.problems()).isEmpty();
    return new DescriptorMatcher(Map.of(r.config().domain(), r.config()));
  }

  /** One descriptor of {@code key=value} pairs. */
  static List<Entry> d(String... kv) {
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < kv.length; i += 2) {
      entries.add(new Entry(kv[i], kv[i + 1]));
    }
    return entries;
  }

  RateLimiter limiter(Quotas quotas, boolean failClosed, boolean headers) {
    return RateLimiter.create(quotas, usage, listener, failClosed, headers);
  }

  @Test
  void descriptorsWithoutALimitAreOkAndSpendNothing() {
    RateLimiter r = limiter(recording, true, true);
    RateLimitDecision unknown =
        r.decide(
            LIMITS,
            "edge",
            List.of(d("vip", "v"), d("nobody", "x"), d("tenant", "t", "x", "y")),
            0);
    assertThat(unknown.statuses()).containsOnly(DescriptorStatus.NOT_LIMITED).hasSize(3);
    assertThat(unknown.overLimit()).isFalse();
    assertThat(unknown.headers()).as("no limit decided").isEmpty();
    assertThat(r.decide(LIMITS, "other", List.of(d("tenant", "t")), 0).statuses())
        .as("an unknown domain")
        .containsExactly(DescriptorStatus.NOT_LIMITED);
    assertThat(r.decide(null, "edge", List.of(d("tenant", "t")), 0).statuses())
        .as("no rate-limit config at all")
        .containsExactly(DescriptorStatus.NOT_LIMITED);
    assertThat(spent).isEmpty();
    assertThat(usage.snapshot(5)).isEmpty();
    assertThat(heard).isEmpty();
  }

  @Test
  void theHitsAddendIsSpentFromEachLimitAndZeroMeansOne() {
    RateLimiter r = limiter(recording, false, false);
    r.decide(LIMITS, "edge", List.of(d("tenant", "t"), d("path", "/a")), 0);
    RateLimitDecision two = r.decide(LIMITS, "edge", List.of(d("tenant", "t")), 2);
    assertThat(spent).containsExactly("tenant=t x1", "path=/a x1", "tenant=t x2");
    DescriptorStatus s = two.statuses().get(0);
    assertThat(s.limit().name()).isEqualTo("per-tenant");
    assertThat(s.quota()).isEqualTo(new Quotas.Decision(true, 5, 2, Duration.ofSeconds(3590)));
    assertThat(s.overLimit()).isFalse();
  }

  @Test
  void aDescriptorOverItsLimitIsOverLimitAndSoIsTheRequest() {
    RateLimiter r = limiter(recording, false, false);
    r.decide(LIMITS, "edge", List.of(d("path", "/a")), 3);
    RateLimitDecision over =
        r.decide(LIMITS, "edge", List.of(d("tenant", "t"), d("path", "/a")), 0);
    assertThat(over.statuses())
        .extracting(DescriptorStatus::overLimit)
        .containsExactly(false, true);
    assertThat(over.statuses().get(1).quota().remaining()).isZero();
    assertThat(over.statuses().get(1).shadowRejected()).isFalse();
    assertThat(over.overLimit()).isTrue();
    assertThat(usage.snapshot(5))
        .filteredOn(l -> l.limit().equals("path"))
        .extracting(LimitUsage::admitted, LimitUsage::rejected)
        .containsExactly(tuple(1L, 1L));
  }

  @Test
  void shadowModeAnswersOkOverTheLimitAndCountsIt() {
    RateLimiter r = limiter(recording, false, false);
    assertThat(r.decide(LIMITS, "edge", List.of(d("trial", "x")), 0).overLimit()).isFalse();
    RateLimitDecision shadow = r.decide(LIMITS, "edge", List.of(d("trial", "x")), 0);
    assertThat(shadow.overLimit()).isFalse();
    DescriptorStatus s = shadow.statuses().get(0);
    assertThat(s.overLimit()).isFalse();
    assertThat(s.shadowRejected()).isTrue();
    assertThat(s.quota().allowed()).isFalse();
    assertThat(usage.snapshot(5))
        .extracting(LimitUsage::admitted, LimitUsage::rejected, LimitUsage::shadowRejected)
        .containsExactly(tuple(1L, 0L, 1L));
    assertThat(heard).containsExactly("decided edge trial true", "decided edge trial false");
  }

  @Test
  void aLimitAnotherMatchedLimitReplacesIsNotApplied() {
    RateLimiter r = limiter(recording, false, false);
    RateLimitDecision d = r.decide(LIMITS, "edge", List.of(d("tenant", "t"), d("premium", "p")), 0);
    assertThat(d.statuses().get(0)).isEqualTo(DescriptorStatus.NOT_LIMITED);
    assertThat(d.statuses().get(1).limit().requestsPerUnit()).isEqualTo(1000);
    assertThat(spent).containsExactly("premium=p x1");

    spent.clear();
    RateLimitDecision nested =
        r.decide(LIMITS, "edge", List.of(d("tenant", "t"), d("tenant", "t", "plan", "gold")), 0);
    assertThat(nested.statuses().get(0))
        .as("replaced by the nested limit")
        .isEqualTo(DescriptorStatus.NOT_LIMITED);
    assertThat(spent).containsExactly("tenant=t\u001fplan=gold x1");

    spent.clear();
    r.decide(LIMITS, "edge", List.of(d("tenant", "t")), 0);
    assertThat(spent).as("alone, it applies").containsExactly("tenant=t x1");
  }

  @Test
  void onlyNamedLimitsAreReplaced() {
    DescriptorMatcher limits =
        limits(
            """
            domain: edge
            descriptors:
              - key: a
                rate_limit: {unit: second, requests_per_unit: 1}
              - key: b
                rate_limit: {unit: second, requests_per_unit: 1, name: b, replaces: [{name: b}]}
            """);
    RateLimitDecision d =
        limiter(recording, false, false)
            .decide(limits, "edge", List.of(d("a", "1"), d("b", "1")), 0);
    assertThat(d.statuses().get(0).limit()).as("unnamed, so nothing replaces it").isNotNull();
    assertThat(d.statuses().get(1))
        .as("replaced by itself")
        .isEqualTo(DescriptorStatus.NOT_LIMITED);
  }

  @Test
  void aFailureIsAnsweredByTheServersFailureModeAndRecorded() {
    RateLimitDecision open =
        limiter(BROKEN, false, true).decide(LIMITS, "edge", List.of(d("tenant", "t")), 0);
    assertThat(open.overLimit()).isFalse();
    DescriptorStatus s = open.statuses().get(0);
    assertThat(s.failed()).isTrue();
    assertThat(s.limit().requestsPerUnit()).as("the limit is named all the same").isEqualTo(5);
    assertThat(s.quota()).isNull();
    assertThat(open.headers()).as("nothing decided, no headers").isEmpty();

    RateLimitDecision closed =
        limiter(BROKEN, true, false).decide(LIMITS, "edge", List.of(d("tenant", "t")), 0);
    assertThat(closed.overLimit()).isTrue();
    assertThat(closed.statuses().get(0).overLimit()).isTrue();
    assertThat(heard)
        .containsExactly("failed edge per-tenant deny=false", "failed edge per-tenant deny=true");
    assertThat(usage.snapshot(5)).extracting(LimitUsage::failed).containsExactly(2L);
  }

  @Test
  void aDomainsFailureModeOverridesTheServers() {
    String config = CONFIG.replace("domain: edge\n", "domain: edge\nfailure_mode_deny: %s\n");
    DescriptorMatcher deny = limits(config.formatted("true"));
    DescriptorMatcher allow = limits(config.formatted("false"));
    assertThat(
            limiter(BROKEN, false, false)
                .decide(deny, "edge", List.of(d("tenant", "t")), 0)
                .overLimit())
        .isTrue();
    assertThat(
            limiter(BROKEN, true, false)
                .decide(allow, "edge", List.of(d("tenant", "t")), 0)
                .overLimit())
        .isFalse();
  }

  @Test
  void theHeadersNameTheLimitClosestToBeingSpent() {
    RateLimiter r = limiter(recording, false, true);
    r.decide(LIMITS, "edge", List.of(d("path", "/a")), 2);
    RateLimitDecision d =
        r.decide(LIMITS, "edge", List.of(d("tenant", "t"), d("path", "/a"), d("vip", "v")), 0);
    assertThat(d.headers())
        .containsExactly(
            new Header("RateLimit-Limit", "3"),
            new Header("RateLimit-Remaining", "0"),
            new Header("RateLimit-Reset", "50"));
    assertThat(
            limiter(recording, false, false)
                .decide(LIMITS, "edge", List.of(d("tenant", "t")), 0)
                .headers())
        .as("off")
        .isEmpty();
  }

  @Test
  void theResetIsInWholeSecondsRoundedUpAndAtLeastOne() {
    List<Duration> resets = new ArrayList<>(List.of(Duration.ofMillis(2001), Duration.ZERO));
    Quotas q =
        (key, limit, hits) -> new Quotas.Decision(true, limit.requests(), 1, resets.remove(0));
    RateLimiter r = limiter(q, false, true);
    assertThat(r.decide(LIMITS, "edge", List.of(d("tenant", "t")), 0).headers().get(2))
        .isEqualTo(new Header("RateLimit-Reset", "3"));
    assertThat(r.decide(LIMITS, "edge", List.of(d("tenant", "t")), 0).headers().get(2))
        .isEqualTo(new Header("RateLimit-Reset", "1"));
  }

  @Test
  void onATieTheFirstDescriptorNamesTheHeaders() {
    Quotas q =
        (key, limit, hits) -> new Quotas.Decision(true, limit.requests(), 1, Duration.ofSeconds(1));
    RateLimitDecision d =
        limiter(q, false, true)
            .decide(LIMITS, "edge", List.of(d("path", "/"), d("tenant", "t")), 0);
    assertThat(d.headers().get(0)).isEqualTo(new Header("RateLimit-Limit", "3"));
  }

  @Test
  void aTooLongKeyOrValueMatchesNoLimit() {
    String huge = "x".repeat(RateLimiter.MAX_VALUE_LENGTH + 1);
    RateLimitDecision d =
        limiter(recording, false, false)
            .decide(LIMITS, "edge", List.of(d("tenant", huge), d("tenant", "x".repeat(4096))), 0);
    assertThat(d.statuses().get(0)).isEqualTo(DescriptorStatus.NOT_LIMITED);
    assertThat(d.statuses().get(1).limit()).as("at the bound it still matches").isNotNull();
  }

  @Test
  void aWarmUpRecordsNothingAndFailsWhenTheQuotasFail() {
    RateLimiter warmUp = RateLimiter.forWarmUp(recording, true);
    RateLimitDecision d = warmUp.decide(LIMITS, "edge", List.of(d("tenant", "t")), 0);
    assertThat(d.statuses().get(0).quota().allowed()).isTrue();
    assertThat(d.headers()).hasSize(3);
    assertThat(usage.snapshot(5)).isEmpty();
    assertThatThrownBy(
            () ->
                RateLimiter.forWarmUp(BROKEN, false)
                    .decide(LIMITS, "edge", List.of(d("tenant", "t")), 0))
        .hasMessage("cluster unreachable");
  }

  @Test
  void aRequestNeedsADomainAndADescriptor() {
    RateLimiter r = limiter(recording, false, false);
    assertThatThrownBy(() -> r.decide(LIMITS, "", List.of(d("tenant", "t")), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rate limit domain must not be empty");
    assertThatThrownBy(() -> r.decide(LIMITS, "edge", List.of(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rate limit descriptor list must not be empty");
  }

  @Test
  void eachLimitIsSpentInItsModeUnderItsBucketKey() {
    List<String> modes = new ArrayList<>();
    Quotas q =
        (key, limit, hits) -> {
          modes.add(key.replace('\u001f', '|') + " " + limit.mode() + " " + limit.window());
          return new Quotas.Decision(true, limit.requests(), 1, Duration.ofSeconds(1));
        };
    limiter(q, false, false).decide(LIMITS, "edge", List.of(d("tenant", "t"), d("path", "/p")), 0);
    assertThat(modes).containsExactly("edge|tenant=t STRICT PT1H", "edge|path=/p FAST PT1M");
  }
}
