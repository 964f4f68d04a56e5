package io.tollgate.adapter.spi;

/**
 * {@code ConfigErrors} collects the problems found while validating a handler's params, each keyed
 * by the field it concerns, so that every problem is reported at once with its location in the
 * config file.
 */
public interface ConfigErrors {

  /**
   * Reports a problem with {@code field}, a path into the params such as {@code entries[2]} or
   * {@code file}; an empty field means the params as a whole.
   */
  void add(String field, String message);

  /** Whether nothing has been reported. */
  boolean isEmpty();
}
