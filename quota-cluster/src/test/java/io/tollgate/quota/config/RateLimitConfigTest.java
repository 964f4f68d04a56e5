package io.tollgate.quota.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.common.config.ConfigError;
import io.tollgate.quota.config.DescriptorMatcher.Entry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** envoyproxy/ratelimit's config format: every field, matching, and precise errors. */
class RateLimitConfigTest {
  static final String CONFIG =
      """
      domain: shop
      descriptors:
        # Any client address: 10 per second each.
        - key: remote_address
          rate_limit:
            name: per-address
            unit: second
            requests_per_unit: 10
          descriptors:
            - key: path
              value: /checkout
              rate_limit:
                unit: minute
                requests_per_unit: 5
        # One address is trusted.
        - key: remote_address
          value: 10.0.0.1
          rate_limit:
            unlimited: true
        # Addresses of the office range share a looser limit.
        - key: remote_address
          value: "192.168.*"
          rate_limit:
            unit: second
            requests_per_unit: 100
            name: office
            replaces:
              - name: per-address
        - key: remote_address
          value: "192.168.7.*"
          rate_limit: {unit: hour, requests_per_unit: 1000}
        # Trying a limit out before enforcing it.
        - key: api_key
          shadow_mode: true
          detailed_metric: true
          rate_limit:
            unit: day
            requests_per_unit: 100000
        # A grouping node without a limit of its own.
        - key: tenant
          value: acme
          descriptors:
            - key: plan
              rate_limit: {unit: second, requests_per_unit: 50}
      """;

  static DescriptorMatcher matcher(String text) {
    RateLimitConfigParser.Result r = RateLimitConfigParser.parse("limits.yaml", text);
    assertThat(r.problems()).isEmpty();
    return new DescriptorMatcher(Map.of(r.config().domain(), r.config()));
  }

  static List<Entry> entries(String... kv) {
    List<Entry> out = new java.util.ArrayList<>();
    for (int i = 0; i < kv.length; i += 2) {
      out.add(new Entry(kv[i], kv[i + 1]));
    }
    return out;
  }

  @Test
  void matchesTheMostSpecificDescriptor() {
    DescriptorMatcher m = matcher(CONFIG);
    var any = m.match("shop", entries("remote_address", "203.0.113.5"));
    assertThat(any.limit().requestsPerUnit()).isEqualTo(10);
    assertThat(any.limit().unit()).isEqualTo(RateLimitUnit.SECOND);
    assertThat(any.limit().name()).isEqualTo("per-address");

    assertThat(m.match("shop", entries("remote_address", "10.0.0.1")).limit().unlimited()).isTrue();
    assertThat(m.match("shop", entries("remote_address", "192.168.1.9")).limit().requestsPerUnit())
        .isEqualTo(100);
    assertThat(m.match("shop", entries("remote_address", "192.168.1.9")).limit().replaces())
        .containsExactly("per-address");
    assertThat(m.match("shop", entries("remote_address", "192.168.7.9")).limit().unit())
        .as("the longest prefix wins")
        .isEqualTo(RateLimitUnit.HOUR);

    var nested = m.match("shop", entries("remote_address", "203.0.113.5", "path", "/checkout"));
    assertThat(nested.limit().unit()).isEqualTo(RateLimitUnit.MINUTE);
    assertThat(nested.limitId())
        .as("an unnamed limit is named by its path")
        .isEqualTo("remote_address/path=/checkout");
    assertThat(any.limitId()).isEqualTo("per-address");
    assertThat(m.match("shop", entries("remote_address", "192.168.7.9")).limitId())
        .isEqualTo("remote_address=192.168.7.*");
    assertThat(m.match("shop", entries("remote_address", "203.0.113.5", "path", "/cart")))
        .as("an entry that matches nothing means no limit")
        .isNull();

    var shadow = m.match("shop", entries("api_key", "k1"));
    assertThat(shadow.descriptor().shadowMode()).isTrue();
    assertThat(shadow.descriptor().detailedMetric()).isTrue();
    assertThat(shadow.limitId())
        .as("detailed_metric names the value as sent")
        .isEqualTo("api_key=k1");
    assertThat(shadow.limit().unit()).isEqualTo(RateLimitUnit.DAY);

    assertThat(m.match("shop", entries("tenant", "acme")))
        .as("a grouping node has no limit")
        .isNull();
    assertThat(m.match("shop", entries("tenant", "acme", "plan", "gold")).limit().requestsPerUnit())
        .isEqualTo(50);
    assertThat(m.match("other", entries("remote_address", "1.2.3.4")))
        .as("unknown domain")
        .isNull();
    assertThat(m.match("shop", entries("user", "bob"))).as("unknown key").isNull();
    assertThat(m.match("shop", List.of())).as("empty descriptor").isNull();
  }

  @Test
  void eachValueUnderAnAnyValueNodeIsCountedApart() {
    DescriptorMatcher m = matcher(CONFIG);
    String a = m.match("shop", entries("remote_address", "203.0.113.5")).bucketKey();
    String b = m.match("shop", entries("remote_address", "203.0.113.6")).bucketKey();
    assertThat(a).isNotEqualTo(b);
    assertThat(m.match("shop", entries("remote_address", "203.0.113.5")).bucketKey()).isEqualTo(a);
  }

  @Test
  void theWrappedFormLoadsToo() {
    DescriptorMatcher m = matcher("kind: RateLimitConfig\n" + CONFIG);
    assertThat(m.match("shop", entries("remote_address", "203.0.113.5"))).isNotNull();
    assertThat(
            RateLimitConfigParser.looksLikeRateLimitConfig(
                Map.of("domain", "x", "descriptors", List.of())))
        .isTrue();
    assertThat(
            RateLimitConfigParser.looksLikeRateLimitConfig(Map.of("kind", "Rule", "domain", "x")))
        .isFalse();
  }

  @Test
  void tollgateExtensionsChooseTheModeAndTheFailureMode() {
    String text =
        "domain: shop\nfailure_mode_deny: true\ndescriptors:\n"
            + "  - key: a\n    rate_limit: {unit: second, requests_per_unit: 5, mode: fast}\n"
            + "  - key: b\n    rate_limit: {unit: second, requests_per_unit: 5}\n";
    DescriptorMatcher m = matcher(text);
    assertThat(m.match("shop", entries("a", "1")).limit().mode()).isEqualTo(Quotas.Mode.FAST);
    assertThat(m.match("shop", entries("b", "1")).limit().mode()).isEqualTo(Quotas.Mode.STRICT);
    assertThat(m.domain("shop").failureModeDeny()).isTrue();
    assertThat(matcher(CONFIG).domain("shop").failureModeDeny())
        .as("unset: the server decides")
        .isNull();
  }

  static List<String> problems(String text) {
    return RateLimitConfigParser.parse("limits.yaml", text).problems().stream()
        .map(ConfigError::toString)
        .toList();
  }

  @Test
  void badConfigsAreReportedWithTheirLocation() {
    assertThat(
            problems(
                "domain: shop\ndescriptors:\n  - key: a\n    rate_limit: {unit: second, requests_per_unit: 0}\n"))
        .containsExactly(
            "limits.yaml:4:51: requests_per_unit must be positive, not 0 (use unlimited: true for no limit)");
    assertThat(
            problems(
                "domain: shop\ndescriptors:\n  - key: a\n    rate_limit: {unit: second, requests_per_unit: -5}\n"))
        .containsExactly(
            "limits.yaml:4:51: requests_per_unit must be positive, not -5 (use unlimited: true for no limit)");
    assertThat(
            problems(
                "domain: shop\ndescriptors:\n  - key: a\n    rate_limit: {unit: fortnight, requests_per_unit: 1}\n"))
        .containsExactly(
            "limits.yaml:4:24: unit must be second, minute, hour or day, not 'fortnight'");
    assertThat(problems("domain: shop\ndescriptors:\n  - key: a\n    valeu: b\n"))
        .containsExactly(
            "limits.yaml:4:5: unknown descriptor field 'valeu'; expected one of "
                + "[descriptors, detailed_metric, key, rate_limit, shadow_mode, value]");
    assertThat(
            problems(
                "domain: shop\ndescriptors:\n  - key: a\n    value: b\n  - key: a\n    value: b\n"))
        .containsExactly("limits.yaml:5:5: duplicate descriptor 'a' = 'b' (first at line 3)");
    assertThat(
            problems(
                "domain: shop\ndescriptors:\n  - key: a\n    rate_limit: {unit: second, requests_per_unit: 1, replaces: [{name: nope}]}\n"))
        .containsExactly(
            "limits.yaml:4:65: replaces unknown rate limit name 'nope'; names in this domain: []");
    assertThat(
            problems(
                "domain: shop\ndescriptors:\n  - key: a\n    rate_limit: {unlimited: true, unit: second}\n"))
        .containsExactly(
            "limits.yaml:4:17: an unlimited rate_limit takes no unit, requests_per_unit or mode");
    assertThat(
            problems(
                "domain: shop\ndescriptors:\n  - key: a\n    rate_limit: {unit: second, requests_per_unit: 1, mode: sloppy}\n"))
        .containsExactly("limits.yaml:4:60: mode must be strict or fast, not 'sloppy'");
    assertThat(problems("domain: shop\nfailure_mode_deny: maybe\ndescriptors: []\n"))
        .containsExactly("limits.yaml:2:20: must be true or false, not 'maybe'");
    assertThat(problems("descriptors: []\n")).containsExactly("limits.yaml:1:1: missing 'domain'");
    assertThat(problems("domain: shop\ndescriptors: [\n"))
        .singleElement()
        .asString()
        .startsWith("limits.yaml:3:1: YAML syntax error");
    assertThat(problems("kind: Rule\ndomain: shop\ndescriptors: []\n"))
        .containsExactly("limits.yaml:1:7: kind must be RateLimitConfig in a rate-limit config");
    assertThat(problems("domain: shop\ndescriptors:\n  - value: b\n"))
        .containsExactly("limits.yaml:3:5: a descriptor needs a non-empty 'key'");
  }

  @Test
  void aDuplicateKeyIsRefusedWithBothLocations() {
    assertThat(
            problems(
                "domain: shop\ndescriptors:\n  - key: a\n    rate_limit:\n"
                    + "      unit: second\n      requests_per_unit: 5\n      unit: hour\n"))
        .containsExactly(
            "limits.yaml:7:7: duplicate key 'unit' (first at limits.yaml:5:7); a map holds each key"
                + " once");
    assertThat(problems("domain: shop\ndescriptors: []\ndomain: other\n"))
        .containsExactly(
            "limits.yaml:3:1: duplicate key 'domain' (first at limits.yaml:1:1); a map holds each"
                + " key once");
  }

  /** {@code levels} lists, each holding the one before twice: 2^levels values from a few lines. */
  static String aliasBomb(int levels) {
    StringBuilder bomb = new StringBuilder("x0: &x0 [a, b]\n");
    for (int i = 1; i <= levels; i++) {
      bomb.append("x").append(i).append(": &x").append(i);
      bomb.append(" [*x").append(i - 1).append(", *x").append(i - 1).append("]\n");
    }
    return bomb.toString();
  }

  @Test
  void anAliasBombIsRefusedQuickly() {
    // 24 levels stay under the alias limit and would expand to 2^25 values; 30 levels exceed it.
    for (int levels : new int[] {24, 30}) {
      String text = "domain: shop\ndescriptors: []\n" + aliasBomb(levels);
      assertThat(text.length()).isLessThan(1000);
      long start = System.nanoTime();
      List<String> p = problems(text);
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(java.time.Duration.ofSeconds(2));
      assertThat(p).singleElement().asString().startsWith("limits.yaml:").contains("YAML error: ");
    }
  }

  @Test
  void scalarsAreTakenAsWritten() {
    DescriptorMatcher m =
        matcher(
            "domain: shop\ndescriptors:\n  - key: code\n    value: 010\n"
                + "    rate_limit: {unit: second, requests_per_unit: \"7\"}\n");
    assertThat(m.match("shop", entries("code", "010")).limit().requestsPerUnit()).isEqualTo(7);
    assertThat(problems("domain: shop\ndescriptors: []\n---\ndomain: other\ndescriptors: []\n"))
        .containsExactly(
            "limits.yaml:4:1: a rate-limit config file holds one document (one domain); put other"
                + " documents in other files");
    assertThat(problems(""))
        .containsExactly(
            "limits.yaml: "
                + "a rate-limit config is a mapping"
                + " with 'domain' and 'descriptors'");
  }

  @Test
  void tollgatesOwnDomainsAreRefusedInUserConfigs() {
    assertThat(problems("domain: tollgate.internal.warm-up\ndescriptors: []\n"))
        .containsExactly(
            "limits.yaml:1:9: domain 'tollgate.internal.warm-up' is reserved: domains named tollgate.internal "
                + "or under tollgate.internal. are Tollgate's own (its warm-up spends from tollgate.internal.warm-up); "
                + "choose another name");
    assertThat(problems("domain: tollgate.internal\ndescriptors: []\n")).hasSize(1);
    assertThat(problems("domain: tollgate.internal.x.y\ndescriptors: []\n")).hasSize(1);
    assertThat(problems("domain: tollgate.internals\ndescriptors: []\n"))
        .as("only the name and what is under it")
        .isEmpty();
    assertThat(problems("domain: tollgate\ndescriptors: []\n")).isEmpty();
  }

  @Test
  void theWarmUpDomainLimitsBothModes() {
    DomainConfig warm = ReservedDomains.warmUp();
    DescriptorMatcher m = new DescriptorMatcher(Map.of(warm.domain(), warm));
    var strict = m.match(ReservedDomains.WARM_UP, entries(ReservedDomains.WARM_UP_KEY, "strict"));
    var fast = m.match(ReservedDomains.WARM_UP, entries(ReservedDomains.WARM_UP_KEY, "fast"));
    assertThat(strict.limit().mode()).isEqualTo(Quotas.Mode.STRICT);
    assertThat(fast.limit().mode()).isEqualTo(Quotas.Mode.FAST);
    assertThat(strict.bucketKey()).startsWith(ReservedDomains.WARM_UP);
    assertThat(ReservedDomains.isReserved(warm.domain())).isTrue();
  }
}
