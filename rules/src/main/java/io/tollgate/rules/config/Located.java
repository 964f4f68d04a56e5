package io.tollgate.rules.config;

/**
 * {@code Located} is a position in a policy file, 1-based.
 *
 * @param line 1-based line
 * @param column 1-based column
 */
public record Located(int line, int column) {
  public static final Located UNKNOWN = new Located(0, 0);
}
