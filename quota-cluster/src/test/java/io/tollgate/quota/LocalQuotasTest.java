package io.tollgate.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Quotas;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class LocalQuotasTest {
  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-03-01T12:00:10Z"));
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };
  private final LocalQuotas quotas = new LocalQuotas(clock);
  private final Quotas.Limit perMinute =
      new Quotas.Limit(3, Duration.ofMinutes(1), Quotas.Mode.STRICT);

  @Test
  void aWindowAlignedToTheMinuteAdmitsItsLimitThenRefusesUntilItEnds() {
    assertThat(quotas.tryConsume("k", perMinute, 2))
        .isEqualTo(new Quotas.Decision(true, 3, 1, Duration.ofSeconds(50)));
    assertThat(quotas.tryConsume("k", perMinute, 2).allowed()).as("only one left").isFalse();
    assertThat(quotas.tryConsume("k", perMinute, 1))
        .isEqualTo(new Quotas.Decision(true, 3, 0, Duration.ofSeconds(50)));
    assertThat(quotas.tryConsume("other", perMinute, 1).allowed()).as("keys count apart").isTrue();

    now.set(Instant.parse("2026-03-01T12:01:00Z"));
    assertThat(quotas.tryConsume("k", perMinute, 1))
        .isEqualTo(new Quotas.Decision(true, 3, 2, Duration.ofMinutes(1)));
  }

  @Test
  void noHitsOrMoreThanAWindowHoldsOnlyReports() {
    quotas.tryConsume("k", perMinute, 1);
    assertThat(quotas.tryConsume("k", perMinute, 0))
        .isEqualTo(new Quotas.Decision(true, 3, 2, Duration.ofSeconds(50)));
    assertThat(quotas.tryConsume("k", perMinute, 4))
        .isEqualTo(new Quotas.Decision(false, 3, 2, Duration.ofSeconds(50)));
  }
}
