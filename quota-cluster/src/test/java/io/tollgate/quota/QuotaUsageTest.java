package io.tollgate.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.QuotaUsage.LimitUsage;
import io.tollgate.quota.QuotaUsage.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuotaUsageTest {
  @Test
  void countsOutcomesAndFindsTheHeavyKeysAmongMany() {
    QuotaUsage u = new QuotaUsage();
    // 100k distinct light keys, and three heavy ones hidden among them.
    for (int i = 0; i < 100_000; i++) {
      u.record("edge", "per-ip", "10.0." + (i % 50_000) + "." + i, null, 1, Outcome.ADMITTED);
      if (i % 10 == 0) {
        u.record("edge", "per-ip", "heavy-a", null, 1, Outcome.REJECTED);
      }
      if (i % 25 == 0) {
        u.record("edge", "per-ip", "heavy-b", null, 2, Outcome.ADMITTED);
      }
      if (i % 40 == 0) {
        u.record("edge", "per-ip", "heavy-c", null, 1, Outcome.SHADOW_REJECTED);
      }
    }
    u.record("edge", "per-path", "/x", null, 1, Outcome.FAILED);

    List<LimitUsage> s = u.snapshot(3);
    assertThat(s).extracting(LimitUsage::limit).containsExactly("per-ip", "per-path");
    LimitUsage ip = s.get(0);
    assertThat(ip.requests()).isEqualTo(100_000 + 10_000 + 4_000 + 2_500);
    assertThat(ip.hits()).isEqualTo(100_000 + 10_000 + 8_000 + 2_500);
    assertThat(ip.admitted()).isEqualTo(104_000);
    assertThat(ip.rejected()).isEqualTo(10_000);
    assertThat(ip.shadowRejected()).isEqualTo(2_500);
    assertThat(ip.topKeys())
        .extracting(QuotaUsage.TopKey::key)
        .containsExactly("heavy-a", "heavy-b", "heavy-c");
    for (QuotaUsage.TopKey k : ip.topKeys()) {
      assertThat(k.lowerBound()).isLessThanOrEqualTo(k.estimate());
      assertThat(k.upperBound()).isGreaterThanOrEqualTo(k.estimate());
    }
    assertThat(ip.topKeys().get(0).lowerBound()).isLessThanOrEqualTo(10_000).isGreaterThan(8_000);
    assertThat(s.get(1).failed()).isEqualTo(1);
  }

  @Test
  void historyIsPerSecondAndRemainingIsLookedUpForTopKeys() {
    QuotaUsage u = new QuotaUsage();
    Quotas.Limit limit = new Quotas.Limit(10, java.time.Duration.ofMinutes(1), Quotas.Mode.STRICT);
    u.record("edge", "per-ip", "edge\u001fip=1", limit, 1, Outcome.ADMITTED);
    u.sample(100);
    for (int i = 0; i < 3; i++) {
      u.record("edge", "per-ip", "edge\u001fip=1", limit, 1, Outcome.ADMITTED);
    }
    u.record("edge", "per-ip", "edge\u001fip=2", limit, 1, Outcome.REJECTED);
    u.sample(101);
    u.sample(102);
    LimitUsage l =
        u.snapshot(5, (key, lim) -> key.endsWith("=1") ? 6L : null, k -> k.replace('\u001f', '/'))
            .get(0);
    assertThat(l.history())
        .extracting(QuotaUsage.Sample::admitted, QuotaUsage.Sample::rejected)
        .as("from nothing: the first decision, then three admitted and one rejected, then none")
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, 0L),
            org.assertj.core.groups.Tuple.tuple(3L, 1L),
            org.assertj.core.groups.Tuple.tuple(0L, 0L));
    assertThat(l.history().get(1).epochSecond()).isEqualTo(101);
    assertThat(l.requestsPerWindow()).isEqualTo(10);
    assertThat(l.windowSeconds()).isEqualTo(60);
    assertThat(l.topKeys().get(0))
        .extracting(QuotaUsage.TopKey::key, QuotaUsage.TopKey::remaining)
        .containsExactly("edge/ip=1", 6L);
    assertThat(l.topKeys().get(1).remaining()).isNull();
  }

  @Test
  void theNumberOfLimitsIsBounded() {
    QuotaUsage u = new QuotaUsage();
    for (int i = 0; i < QuotaUsage.MAX_LIMITS + 500; i++) {
      u.record("d", "limit-" + i, "k", null, 1, Outcome.ADMITTED);
    }
    List<LimitUsage> s = u.snapshot(1);
    assertThat(s).hasSize(QuotaUsage.MAX_LIMITS + 1);
    assertThat(s)
        .filteredOn(l -> l.limit().equals(QuotaUsage.OTHER))
        .singleElement()
        .extracting(LimitUsage::requests)
        .isEqualTo(500L);
  }
}
