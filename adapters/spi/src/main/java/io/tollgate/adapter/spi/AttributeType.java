package io.tollgate.adapter.spi;

/**
 * {@code AttributeType} is the value type of an attribute or of a template field, and fixes the
 * Java type its values have.
 */
public enum AttributeType {
  /** {@link String}. */
  STRING,
  /** {@link Long}. */
  INT,
  /** {@link Boolean}. */
  BOOL,
  /** {@link java.time.Instant}. */
  TIMESTAMP,
  /** {@link java.time.Duration}. */
  DURATION,
  /** {@code Map<String, String>}. */
  STRING_MAP,
  /** {@code List<String>}. */
  STRING_LIST,
  /** {@code Map<String, Object>} whose values are any of the types above. */
  DYN_MAP,
  /** Any of the types above. */
  DYN
}
