package io.tollgate.adapter.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code Params} are a handler's configured params as parsed from YAML (strings, numbers,
 * booleans, lists and maps), with getters that report type problems to a {@link ConfigErrors}
 * instead of throwing.
 */
public final class Params {
  private final Map<String, Object> values;
  private final ConfigErrors errors;

  public Params(Map<String, Object> values, ConfigErrors errors) {
    this.values = Collections.unmodifiableMap(values);
    this.errors = errors;
  }

  /** The raw values. */
  public Map<String, Object> asMap() {
    return values;
  }

  /** Where problems go. */
  public ConfigErrors errors() {
    return errors;
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  /** Reports every key not in {@code known}. */
  public void rejectUnknown(Set<String> known) {
    for (String k : values.keySet()) {
      if (!known.contains(k)) {
        errors.add(k, "unknown param '" + k + "'; known params are " + new java.util.TreeSet<>(known));
      }
    }
  }

  /** A string param, or {@code fallback} when absent. */
  public String string(String key, String fallback) {
    Object v = values.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof String || v instanceof Number || v instanceof Boolean) {
      return String.valueOf(v);
    }
    errors.add(key, "must be a string");
    return fallback;
  }

  /** An integer param, or {@code fallback} when absent. */
  public long integer(String key, long fallback) {
    Object v = values.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n && n.doubleValue() == n.longValue()) {
      return n.longValue();
    }
    errors.add(key, "must be an integer");
    return fallback;
  }

  /** A boolean param, or {@code fallback} when absent. */
  public boolean bool(String key, boolean fallback) {
    Object v = values.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    errors.add(key, "must be true or false");
    return fallback;
  }

  /** A list of strings; empty when absent. Non-string items are reported by index. */
  public List<String> strings(String key) {
    Object v = values.get(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> l)) {
      errors.add(key, "must be a list of strings");
      return List.of();
    }
    List<String> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      Object item = l.get(i);
      if (item instanceof String || item instanceof Number) {
        out.add(String.valueOf(item));
      } else {
        errors.add(key + "[" + i + "]", "must be a string");
      }
    }
    return out;
  }

  /** A list of maps; empty when absent. */
  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> maps(String key) {
    Object v = values.get(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof List<?> l)) {
      errors.add(key, "must be a list");
      return List.of();
    }
    List<Map<String, Object>> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      if (l.get(i) instanceof Map<?, ?> m) {
        out.add((Map<String, Object>) m);
      } else {
        errors.add(key + "[" + i + "]", "must be a map");
      }
    }
    return out;
  }

  /**
   * The value of an enumerated param, matched ignoring case, or {@code fallback} when absent.
   */
  public <E extends Enum<E>> E enumValue(String key, Class<E> type, E fallback) {
    String s = string(key, null);
    if (s == null) {
      return fallback;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(s)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name());
    }
    errors.add(key, "'" + s + "' is not one of " + names);
    return fallback;
  }
}
