package io.tollgate.server.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code Durations} reads durations as {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h} or ISO-8601 {@code PT2S}. */
final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h)");

  private Durations() {}

  static Duration parse(String s) {
    Matcher m = SIMPLE.matcher(s.strip());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
    try {
      return Duration.parse(s.strip());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + s + "' is not a duration; write e.g. 250ms, 2s, 5m, 1h");
    }
  }
}
