package io.tollgate.pilot.model;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Istio's duration strings: a number and a unit, {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code
 * 1h}.
 */
public final class Durations {
  private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|m|s|ms|us|ns)");

  private Durations() {}

  public static Duration parse(String s) {
    var m = FORM.matcher(s == null ? "" : s.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + s + "' is not a duration (write e.g. 250ms, 2s, 1m)");
    }
    double n = Double.parseDouble(m.group(1));
    double nanos =
        switch (m.group(2)) {
          case "h" -> n * 3600e9;
          case "m" -> n * 60e9;
          case "s" -> n * 1e9;
          case "ms" -> n * 1e6;
          case "us" -> n * 1e3;
          default -> n;
        };
    return Duration.ofNanos((long) nanos);
  }
}
