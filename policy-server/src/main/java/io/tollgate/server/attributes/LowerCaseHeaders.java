package io.tollgate.server.attributes;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code LowerCaseHeaders} is an unmodifiable header map whose keys are lower case and whose
 * lookups ignore case, the form {@code request.headers} has for rules. Over a map whose keys are
 * lower case already (Envoy's, or one a transport built) it is a view, not a copy.
 */
public final class LowerCaseHeaders extends AbstractMap<String, String> {
  private final Map<String, String> lower;

  private LowerCaseHeaders(Map<String, String> lower) {
    this.lower = Collections.unmodifiableMap(lower);
  }

  /**
   * {@code headers} as a header map. A map whose keys are all lower case is wrapped; any other is
   * copied with its keys lower-cased, values of keys that then collide joined with {@code ,}. The
   * caller must not change {@code headers} afterwards.
   */
  public static LowerCaseHeaders of(Map<String, String> headers) {
    for (String k : headers.keySet()) {
      if (!isLowerCase(k)) {
        TreeMap<String, String> m = new TreeMap<>();
        headers.forEach((n, v) -> m.merge(n.toLowerCase(Locale.ROOT), v, (a, b) -> a + "," + b));
        return new LowerCaseHeaders(m);
      }
    }
    return new LowerCaseHeaders(headers);
  }

  @Override
  public String get(Object key) {
    if (!(key instanceof String k)) {
      return null;
    }
    String v = lower.get(k);
    return v != null || isLowerCase(k) ? v : lower.get(k.toLowerCase(Locale.ROOT));
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  @Override
  public int size() {
    return lower.size();
  }

  @Override
  public boolean isEmpty() {
    return lower.isEmpty();
  }

  @Override
  public Set<Entry<String, String>> entrySet() {
    return lower.entrySet();
  }

  private static boolean isLowerCase(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z' || c > 0x7f && Character.isUpperCase(c)) {
        return false;
      }
    }
    return true;
  }
}
