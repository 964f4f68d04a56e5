package io.tollgate.quota.config;

import java.time.Duration;
import java.util.Locale;

/** The window of a rate limit, as envoyproxy/ratelimit names it. */
public enum RateLimitUnit {
  SECOND(Duration.ofSeconds(1)),
  MINUTE(Duration.ofMinutes(1)),
  HOUR(Duration.ofHours(1)),
  DAY(Duration.ofDays(1));

  private final Duration window;

  RateLimitUnit(Duration window) {
    this.window = window;
  }

  public Duration window() {
    return window;
  }

  /** The unit written {@code second}, {@code minute}, ... (any case), or {@code null}. */
  static RateLimitUnit parse(String s) {
    for (RateLimitUnit u : values()) {
      if (u.name().equals(s.toUpperCase(Locale.ROOT))) {
        return u;
      }
    }
    return null;
  }
}
