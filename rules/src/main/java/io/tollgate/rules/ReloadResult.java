package io.tollgate.rules;

import io.tollgate.common.config.ConfigError;
import java.time.Duration;
import java.util.List;

/**
 * {@code ReloadResult} says how one compile-validate-swap attempt went.
 *
 * @param swapped whether a new snapshot now serves
 * @param version the version serving after the attempt
 * @param errors every problem found; empty when swapped
 * @param took how long compiling took
 */
public record ReloadResult(boolean swapped, long version, List<ConfigError> errors, Duration took) {
  public ReloadResult {
    errors = List.copyOf(errors);
  }
}
