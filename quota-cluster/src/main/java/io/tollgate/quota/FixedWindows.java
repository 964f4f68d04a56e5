package io.tollgate.quota;

import io.github.bucket4j.BucketConfiguration;
import io.tollgate.adapter.spi.Quotas.Limit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * {@code FixedWindows} is the window maths of a limit: windows are fixed and aligned to the epoch
 * (a per-minute limit resets at every full minute, as envoyproxy/ratelimit's counters do), and a
 * limit's Bucket4j configuration is a bucket of {@code requests} tokens refilled in full at every
 * window's end. Time comes from the clock it is given and from nowhere else. Immutable and
 * thread-safe.
 */
final class FixedWindows {
  private final Clock clock;

  FixedWindows(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The end of the window of length {@code window} that {@code now} falls in. */
  static Instant end(Instant now, Duration window) {
    long w = window.toMillis();
    long t = now.toEpochMilli();
    return Instant.ofEpochMilli((t / w + 1) * w);
  }

  /** The time from now until the current window of {@code limit} ends. */
  Duration untilEnd(Limit limit) {
    Instant now = clock.instant();
    return Duration.between(now, end(now, limit.window()));
  }

  /**
   * The bucket of {@code limit} as of now: full, holding at most {@code requests}, refilled to
   * {@code requests} at the end of the current window and every window after.
   */
  BucketConfiguration configuration(Limit limit) {
    Instant next = end(clock.instant(), limit.window());
    return BucketConfiguration.builder()
        .addLimit(
            b ->
                b.capacity(limit.requests())
                    .refillIntervallyAligned(limit.requests(), limit.window(), next))
        .build();
  }

  /**
   * The configuration version of {@code limit}: a bucket built under another version is given the
   * configuration of this one on its next use.
   */
  static long version(Limit limit) {
    return Math.abs(limit.requests() * 31 + limit.window().toMillis());
  }
}
