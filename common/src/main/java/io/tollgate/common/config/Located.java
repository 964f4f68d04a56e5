package io.tollgate.common.config;

/**
 * {@code Located} is a position in a config file, 1-based; {@link #UNKNOWN} (0, 0) when there is
 * none.
 *
 * @param line 1-based line
 * @param column 1-based column
 */
public record Located(int line, int column) {
  public static final Located UNKNOWN = new Located(0, 0);

  /** A problem at this position of {@code file}. */
  public ConfigError error(String file, String message) {
    return new ConfigError(file, line, column, message);
  }
}
