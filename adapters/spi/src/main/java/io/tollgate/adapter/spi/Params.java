package io.tollgate.adapter.spi;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code Params} are a handler's configured params as parsed from YAML (strings, numbers, booleans,
 * lists and maps), with getters that report type problems to a {@link ConfigErrors} instead of
 * throwing.
 */
public final class Params {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");
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
        errors.add(
            k, "unknown param '" + k + "'; known params are " + new java.util.TreeSet<>(known));
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

  /** The value of an enumerated param, matched ignoring case, or {@code fallback} when absent. */
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

  /**
   * A duration param, or {@code fallback} when absent: a number with a unit ({@code 500ms}, {@code
   * 1s}, {@code 5m}, {@code 1h}, {@code 1d}) or ISO-8601 ({@code PT1M}). Must be positive.
   */
  public Duration duration(String key, Duration fallback) {
    String s = string(key, null);
    if (s == null) {
      return fallback;
    }
    Duration d = parseDuration(s.strip());
    if (d == null || d.isNegative() || d.isZero()) {
      errors.add(key, "'" + s + "' is not a positive duration such as 500ms, 1s, 5m, 1h or 1d");
      return fallback;
    }
    return d;
  }

  /**
   * Reads {@code 500ms}, {@code 1s}, {@code 5m}, {@code 1h}, {@code 1d} or ISO-8601 ({@code PT1M});
   * {@code null} when {@code s} is none of these.
   */
  public static Duration parseDuration(String s) {
    s = s.strip();
    Matcher m = DURATION.matcher(s);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
