package io.tollgate.common.config;

import java.util.Objects;

/**
 * {@code ConfigError} is one problem in a config file (a policy, a rate-limit config, a mesh file),
 * with where it is. Line and column are 1-based; 0 means unknown (a whole-file or whole-directory
 * problem).
 *
 * @param file the file, relative to the directory it was read from where possible
 * @param line 1-based line, or 0
 * @param column 1-based column, or 0
 * @param message what is wrong and, where it helps, what to do
 */
public record ConfigError(String file, int line, int column, String message) {

  public ConfigError {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(message, "message");
  }

  /** A problem with a whole file or directory. */
  public static ConfigError of(String file, String message) {
    return new ConfigError(file, 0, 0, message);
  }

  /** {@code file:line:column: message}, leaving out what is unknown. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(file);
    if (line > 0) {
      b.append(':').append(line);
      if (column > 0) {
        b.append(':').append(column);
      }
    }
    return b.append(": ").append(message).toString();
  }
}
