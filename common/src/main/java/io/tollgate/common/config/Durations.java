package io.tollgate.common.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code Durations} reads durations the one way Tollgate writes them: a number and a unit, as Istio
 * and protobuf do ({@code 500ms}, {@code 1.5s}, {@code 2m}, {@code 1h}; also {@code ns}, {@code us}
 * and {@code d}), or ISO-8601 ({@code PT2S}). A duration is never negative.
 */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h|d)");
  private static final BigDecimal NANOS_PER_SECOND = BigDecimal.valueOf(1_000_000_000L);

  private Durations() {}

  /**
   * The duration {@code text} writes, surrounding blanks ignored; fractions of a nanosecond are
   * dropped. Throws {@link IllegalArgumentException}, naming {@code text}, when it is not a
   * duration, is negative or is longer than {@link Duration} holds.
   */
  public static Duration parse(String text) {
    String s = text == null ? "" : text.strip();
    Matcher m = SHORT.matcher(s);
    if (m.matches()) {
      return ofNanos(text, new BigDecimal(m.group(1)).multiply(nanosPer(m.group(2))));
    }
    Duration d;
    try {
      d = Duration.parse(s);
    } catch (DateTimeParseException e) {
      throw notADuration(text);
    }
    if (d.isNegative()) {
      throw new IllegalArgumentException("'" + text + "' is negative; a duration is 0 or more");
    }
    return d;
  }

  private static BigDecimal nanosPer(String unit) {
    return BigDecimal.valueOf(
        switch (unit) {
          case "ns" -> 1L;
          case "us" -> 1_000L;
          case "ms" -> 1_000_000L;
          case "s" -> 1_000_000_000L;
          case "m" -> 60_000_000_000L;
          case "h" -> 3_600_000_000_000L;
          default -> 86_400_000_000_000L;
        });
  }

  private static Duration ofNanos(String text, BigDecimal nanos) {
    BigDecimal[] secondsAndNanos =
        nanos.setScale(0, RoundingMode.DOWN).divideAndRemainder(NANOS_PER_SECOND);
    try {
      return Duration.ofSeconds(
          secondsAndNanos[0].longValueExact(), secondsAndNanos[1].longValueExact());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("'" + text + "' is too long a duration", e);
    }
  }

  private static IllegalArgumentException notADuration(String text) {
    return new IllegalArgumentException(
        "'" + text + "' is not a duration (write e.g. 250ms, 2s, 1m)");
  }
}
