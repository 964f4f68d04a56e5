package io.tollgate.quota.config;

import java.util.List;
import java.util.Map;

/**
 * {@code DescriptorMatcher} finds the limit for one request descriptor, as envoyproxy/ratelimit
 * does. The descriptor's entries are walked down the domain's tree, one level per entry; at each
 * level the most specific node wins: the exact {@code key_value}, then the longest matching {@code
 * prefix*} value, then the node for the key with any value. The limit is the one of the node the
 * last entry reaches; a domain, entry or level that matches nothing means no limit. Immutable and
 * thread-safe.
 */
public final class DescriptorMatcher {
  /** One {@code key=value} entry of a request descriptor. */
  public record Entry(String key, String value) {}

  /**
   * What a descriptor matched.
   *
   * @param descriptor the node the last entry reached
   * @param limit its limit
   * @param bucketKey the counter's identity: domain and every entry as sent, so each distinct value
   *     under an any-value node is counted apart
   * @param limitId the limit's name for metrics and dashboards: its {@code name}, or else the path
   *     of configured nodes ({@code remote_address/path=/login}); with {@code detailed_metric} the
   *     path of the values as sent
   */
  public record Match(Descriptor descriptor, RateLimit limit, String bucketKey, String limitId) {}

  private final Map<String, DomainConfig> domains;

  public DescriptorMatcher(Map<String, DomainConfig> domains) {
    this.domains = Map.copyOf(domains);
  }

  /** The match for {@code entries} in {@code domain}, or {@code null} for no limit. */
  public Match match(String domain, List<Entry> entries) {
    DomainConfig config = domains.get(domain);
    if (config == null || entries.isEmpty()) {
      return null;
    }
    Map<String, Descriptor> level = config.descriptors();
    List<Descriptor> prefixes = config.prefixes();
    Descriptor node = null;
    StringBuilder key = new StringBuilder(domain);
    StringBuilder path = new StringBuilder();
    StringBuilder detailed = new StringBuilder();
    for (Entry e : entries) {
      node = step(level, prefixes, e);
      if (node == null) {
        return null;
      }
      key.append('\u001f').append(e.key()).append('=').append(e.value());
      String sep = path.isEmpty() ? "" : "/";
      path.append(sep).append(node.key()).append(node.value().isEmpty() ? "" : "=" + node.value());
      detailed.append(sep).append(e.key()).append('=').append(e.value());
      level = node.children();
      prefixes = node.prefixes();
    }
    if (node.limit() == null) {
      return null;
    }
    String id =
        node.detailedMetric()
            ? detailed.toString()
            : node.limit().name().isEmpty() ? path.toString() : node.limit().name();
    return new Match(node, node.limit(), key.toString(), id);
  }

  private static Descriptor step(
      Map<String, Descriptor> level, List<Descriptor> prefixes, Entry e) {
    Descriptor exact = e.value().isEmpty() ? null : level.get(Descriptor.id(e.key(), e.value()));
    if (exact != null && !exact.isPrefix()) {
      return exact;
    }
    for (Descriptor p : prefixes) {
      if (p.key().equals(e.key())
          && e.value().startsWith(p.value().substring(0, p.value().length() - 1))) {
        return p;
      }
    }
    return level.get(e.key());
  }

  /** The config of {@code domain}, or {@code null} when it has none. */
  public DomainConfig domain(String domain) {
    return domains.get(domain);
  }
}
