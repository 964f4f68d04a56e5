package io.tollgate.server.cli;

import io.tollgate.adapter.spi.Params;
import java.time.Duration;

/**
 * {@code Durations} reads durations as {@code 250ms}, {@code 2s}, {@code 5m}, {@code 1h} or
 * ISO-8601 {@code PT2S}.
 */
final class Durations {
  private Durations() {}

  static Duration parse(String s) {
    Duration d = Params.parseDuration(s);
    if (d == null) {
      throw new IllegalArgumentException(
          "'" + s + "' is not a duration; write e.g. 250ms, 2s, 5m, 1h");
    }
    return d;
  }
}
