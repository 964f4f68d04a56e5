package io.tollgate.quota.config;

/**
 * {@code ConfigProblem} is one thing wrong with a rate-limit config file. Line and column are
 * 1-based; 0 means unknown.
 */
public record ConfigProblem(String file, int line, int column, String message) {
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
