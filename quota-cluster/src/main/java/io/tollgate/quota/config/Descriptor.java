package io.tollgate.quota.config;

import java.util.List;
import java.util.Map;

/**
 * {@code Descriptor} is one node of a domain's descriptor tree.
 *
 * @param key the entry key it matches
 * @param value the value it matches: exact, a prefix ending in {@code *}, or empty for any value
 * @param limit its limit, or {@code null} when it only groups nested descriptors
 * @param shadowMode whether it only counts (requests over the limit are reported, not refused)
 * @param detailedMetric whether metrics carry the full descriptor value
 * @param children nested descriptors by {@link #id()}
 * @param prefixes the children with a prefix value, longest prefix first
 * @param line where it is written, for messages
 */
public record Descriptor(
    String key,
    String value,
    RateLimit limit,
    boolean shadowMode,
    boolean detailedMetric,
    Map<String, Descriptor> children,
    List<Descriptor> prefixes,
    int line) {

  /** Its identity within its level: the key, and the value unless it matches any value. */
  public String id() {
    return id(key, value);
  }

  /** The identity of a node for {@code key} and {@code value} (empty: any value). */
  public static String id(String key, String value) {
    return value.isEmpty() ? key : key + '\u0000' + value;
  }

  /** Whether its value is a prefix ({@code foo*}). */
  public boolean isPrefix() {
    return value.endsWith("*");
  }
}
