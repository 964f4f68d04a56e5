package io.tollgate.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.BucketListener;
import io.github.bucket4j.MathType;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LockFreeBucket;
import io.tollgate.adapter.spi.Quotas.Limit;
import io.tollgate.adapter.spi.Quotas.Mode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The window maths on a clock the test moves: nothing sleeps. */
class FixedWindowsTest {
  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-03-01T12:00:10Z"));

  private final Clock clock =
      new Clock() {
        @Override
        public ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  /** Bucket4j's time, read from the same clock, as an owner's wall clock. */
  private final TimeMeter meter =
      new TimeMeter() {
        @Override
        public long currentTimeNanos() {
          return clock.millis() * 1_000_000;
        }

        @Override
        public boolean isWallClockBased() {
          return true;
        }
      };

  private final FixedWindows windows = new FixedWindows(clock);
  private final Limit perMinute = new Limit(3, Duration.ofMinutes(1), Mode.STRICT);

  @Test
  void aWindowEndsAtTheNextMultipleOfItsLengthSinceTheEpoch() {
    assertThat(FixedWindows.end(Instant.parse("2026-01-01T10:00:59.999Z"), Duration.ofMinutes(1)))
        .isEqualTo(Instant.parse("2026-01-01T10:01:00Z"));
    assertThat(FixedWindows.end(Instant.parse("2026-01-01T10:59:00Z"), Duration.ofHours(1)))
        .isEqualTo(Instant.parse("2026-01-01T11:00:00Z"));
    assertThat(FixedWindows.end(Instant.parse("2026-01-01T23:00:00Z"), Duration.ofDays(1)))
        .isEqualTo(Instant.parse("2026-01-02T00:00:00Z"));
  }

  @Test
  void anInstantOnABoundaryStartsTheNextWindow() {
    assertThat(FixedWindows.end(Instant.parse("2026-01-01T10:01:00Z"), Duration.ofMinutes(1)))
        .isEqualTo(Instant.parse("2026-01-01T10:02:00Z"));
    assertThat(FixedWindows.end(Instant.EPOCH, Duration.ofSeconds(1)))
        .isEqualTo(Instant.EPOCH.plusSeconds(1));
  }

  @Test
  void theTimeUntilTheWindowEndsIsReadFromTheClock() {
    assertThat(windows.untilEnd(perMinute)).isEqualTo(Duration.ofSeconds(50));
    now.set(Instant.parse("2026-03-01T12:00:59.999Z"));
    assertThat(windows.untilEnd(perMinute)).isEqualTo(Duration.ofMillis(1));
    now.set(Instant.parse("2026-03-01T12:01:00Z"));
    assertThat(windows.untilEnd(perMinute)).isEqualTo(Duration.ofMinutes(1));
    assertThat(windows.untilEnd(new Limit(1, Duration.ofHours(1), Mode.FAST)))
        .as("the hour's window")
        .isEqualTo(Duration.ofMinutes(59));
  }

  @Test
  void theConfigurationIsAFullBucketRefilledInFullAtTheWindowsEnd() {
    BucketConfiguration c = windows.configuration(perMinute);
    assertThat(c.getBandwidths()).hasSize(1);
    Bandwidth b = c.getBandwidths()[0];
    assertThat(b.getCapacity()).isEqualTo(3);
    assertThat(b.getInitialTokens()).isEqualTo(3);
    assertThat(b.getRefillTokens()).isEqualTo(3);
    assertThat(b.getRefillPeriodNanos()).isEqualTo(Duration.ofMinutes(1).toNanos());
    assertThat(b.isRefillIntervally()).isTrue();
    assertThat(b.isIntervallyAligned()).isTrue();
    assertThat(Instant.ofEpochMilli(b.getTimeOfFirstRefillMillis()))
        .isEqualTo(Instant.parse("2026-03-01T12:01:00Z"));
  }

  @Test
  void aBucketIsFullAgainAtEveryWindowsEndAndNotBefore() {
    LockFreeBucket bucket =
        new LockFreeBucket(
            windows.configuration(perMinute), MathType.INTEGER_64_BITS, meter, BucketListener.NOPE);
    assertThat(bucket.tryConsume(3)).isTrue();
    assertThat(bucket.tryConsume(1)).as("spent").isFalse();

    now.set(Instant.parse("2026-03-01T12:00:59.999Z"));
    assertThat(bucket.getAvailableTokens()).as("just before the window ends").isZero();

    now.set(Instant.parse("2026-03-01T12:01:00Z"));
    assertThat(bucket.getAvailableTokens()).as("at the window's end").isEqualTo(3);
    assertThat(bucket.tryConsume(1)).isTrue();

    now.set(Instant.parse("2026-03-01T12:03:30Z"));
    assertThat(bucket.getAvailableTokens())
        .as("idle windows never fill it beyond its limit")
        .isEqualTo(3);
  }

  @Test
  void aBucketMadeLateInAWindowStillRefillsAtItsEnd() {
    now.set(Instant.parse("2026-03-01T12:00:59Z"));
    LockFreeBucket bucket =
        new LockFreeBucket(
            windows.configuration(perMinute), MathType.INTEGER_64_BITS, meter, BucketListener.NOPE);
    assertThat(bucket.tryConsume(3)).isTrue();
    now.set(Instant.parse("2026-03-01T12:01:00Z"));
    assertThat(bucket.getAvailableTokens()).isEqualTo(3);
  }

  @Test
  void theVersionChangesWithTheLimitsSizeOrWindowButNotItsMode() {
    long v = FixedWindows.version(perMinute);
    assertThat(FixedWindows.version(new Limit(4, Duration.ofMinutes(1), Mode.STRICT)))
        .isNotEqualTo(v);
    assertThat(FixedWindows.version(new Limit(3, Duration.ofHours(1), Mode.STRICT)))
        .isNotEqualTo(v);
    assertThat(FixedWindows.version(new Limit(3, Duration.ofMinutes(1), Mode.FAST))).isEqualTo(v);
  }
}
