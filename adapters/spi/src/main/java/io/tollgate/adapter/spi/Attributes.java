package io.tollgate.adapter.spi;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code Attributes} is the immutable view of one request that rules and handlers read. Values have
 * the Java type that {@link Vocabulary} gives their name (see {@link AttributeType}).
 *
 * <p>Implementations are immutable and safe to share between threads.
 */
public interface Attributes {

  /** The value of attribute {@code name}, or {@code null} when the request does not carry it. */
  Object get(String name);

  /** The names of the attributes this request carries. */
  Set<String> names();

  /** The attribute as a string, or {@code null} when absent or not a string. */
  default String getString(String name) {
    Object v = get(name);
    return v instanceof String s ? s : null;
  }

  /**
   * The request headers, keyed by lower-case name. Lookups through the returned map ignore case.
   */
  @SuppressWarnings("unchecked")
  default Map<String, String> headers() {
    Object v = get(Vocabulary.REQUEST_HEADERS);
    return v instanceof Map<?, ?> m ? (Map<String, String>) m : Map.of();
  }

  /** The value of request header {@code name} (any case), or {@code null}. */
  default String header(String name) {
    return headers().get(name.toLowerCase(Locale.ROOT));
  }

  /** A builder for an attribute view; see {@link MapAttributes}. */
  static MapAttributes.Builder builder() {
    return MapAttributes.builder();
  }
}
