package io.tollgate.adapter.spi;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code MapAttributes} is an {@link Attributes} backed by a map. String maps (headers, labels,
 * query parameters) are copied into case-insensitive maps for headers and plain maps otherwise.
 */
public final class MapAttributes implements Attributes {
  private final Map<String, Object> values;

  private MapAttributes(Map<String, Object> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  @Override
  public Object get(String name) {
    return values.get(name);
  }

  @Override
  public Set<String> names() {
    return values.keySet();
  }

  /** The attribute map, unmodifiable. */
  public Map<String, Object> asMap() {
    return values;
  }

  @Override
  public String toString() {
    return "Attributes" + values;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Makes a header map: keys lower-cased, lookups case-insensitive, unmodifiable. */
  public static Map<String, String> headerMap(Map<String, String> headers) {
    TreeMap<String, String> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((k, v) -> m.merge(k.toLowerCase(Locale.ROOT), v, (a, b) -> a + "," + b));
    return Collections.unmodifiableMap(m);
  }

  /** Builds a {@link MapAttributes}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Object> values = new HashMap<>();

    private Builder() {}

    /**
     * Sets attribute {@code name}. A {@code null} value removes it. Integers of any width become
     * {@link Long}; {@code request.headers} becomes a case-insensitive map.
     */
    public Builder put(String name, Object value) {
      if (value == null) {
        values.remove(name);
        return this;
      }
      if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
        value = ((Number) value).longValue();
      }
      if (Vocabulary.REQUEST_HEADERS.equals(name) && value instanceof Map<?, ?> m) {
        Map<String, String> h = new HashMap<>();
        m.forEach((k, v) -> h.put(String.valueOf(k), String.valueOf(v)));
        value = headerMap(h);
      } else if (value instanceof Map<?, ?> m) {
        value = Collections.unmodifiableMap(new HashMap<>(m));
      } else if (value instanceof List<?> l) {
        value = List.copyOf(l);
      }
      values.put(name, value);
      return this;
    }

    /** Copies every attribute of {@code other}. */
    public Builder putAll(Attributes other) {
      for (String n : other.names()) {
        put(n, other.get(n));
      }
      return this;
    }

    public MapAttributes build() {
      return new MapAttributes(new HashMap<>(values));
    }
  }
}
