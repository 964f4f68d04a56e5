package io.tollgate.quota.config;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.YamlDocument;
import io.tollgate.common.config.YamlReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code RateLimitConfigParser} reads a rate-limit config as envoyproxy/ratelimit does:
 *
 * <pre>
 * domain: shop                     # required; not tollgate.internal or under it (ReservedDomains)
 * failure_mode_deny: false         # Tollgate, optional: answer when the quota cluster cannot
 *                                  # decide (default: the server's --ratelimit-failure-mode)
 * descriptors:
 *   - key: remote_address          # required
 *     value: 10.0.0.1              # optional: exact, "prefix*", or absent for any value
 *     rate_limit:                  # optional on nodes that only group nested descriptors
 *       unit: second               # second | minute | hour | day
 *       requests_per_unit: 10      # positive
 *       # unlimited: true          # instead of unit and requests_per_unit
 *       # name: per-ip             # for replaces and metrics
 *       # replaces: [{name: ...}]  # limits this one replaces when both apply
 *       # mode: strict             # Tollgate: strict (default) or fast, see Quotas.Mode
 *     shadow_mode: false           # count only, never refuse
 *     detailed_metric: false
 *     descriptors: [...]           # nested
 * </pre>
 *
 * The same with {@code kind: RateLimitConfig} at the top is accepted too. The file is read by
 * common's {@link YamlReader} (duplicate keys refused with both locations, its limits against YAML
 * bombs); scalars are taken as written, so {@code value: 010} matches {@code "010"}. Every problem
 * is reported with its line and column; a file with problems yields no config.
 */
public final class RateLimitConfigParser {
  /** The {@code kind} of the wrapped form. */
  public static final String KIND = "RateLimitConfig";

  private static final String NOT_A_MAP =
      "a rate-limit config is a mapping with 'domain' and 'descriptors'";
  private static final Set<String> TOP =
      Set.of("kind", "domain", "descriptors", "failure_mode_deny");
  private static final Set<String> DESCRIPTOR =
      Set.of("key", "value", "rate_limit", "descriptors", "shadow_mode", "detailed_metric");
  private static final Set<String> LIMIT =
      Set.of("unit", "requests_per_unit", "unlimited", "name", "replaces", "mode");

  /** The outcome: a config, or the problems that kept it from loading. */
  public record Result(DomainConfig config, List<ConfigError> problems) {}

  /** A {@code replaces} entry, checked once every name of the domain is known. */
  private record Replace(String name, String path) {}

  private final String file;
  private final List<ConfigError> problems = new ArrayList<>();
  private final Map<String, Integer> limitNames = new HashMap<>();
  private final List<Replace> replaceRefs = new ArrayList<>();
  private YamlDocument doc;

  private RateLimitConfigParser(String file) {
    this.file = file;
  }

  /**
   * Whether a parsed YAML mapping looks like a rate-limit config (top-level domain and descriptors,
   * no other kind).
   */
  public static boolean looksLikeRateLimitConfig(Map<?, ?> top) {
    Object kind = top.get("kind");
    return (kind == null && top.containsKey("domain") && top.containsKey("descriptors"))
        || KIND.equals(kind);
  }

  public static Result parse(String file, String text) {
    return new RateLimitConfigParser(file).run(text);
  }

  private Result run(String text) {
    List<YamlDocument> docs = YamlReader.read(file, text, NOT_A_MAP, problems);
    if (!problems.isEmpty()) {
      return new Result(null, problems);
    }
    if (docs.isEmpty()) {
      problems.add(ConfigError.of(file, NOT_A_MAP));
      return new Result(null, problems);
    }
    if (docs.size() > 1) {
      problems.add(
          docs.get(1)
              .start()
              .error(
                  file,
                  "a rate-limit config file holds one document (one domain); put other"
                      + " documents in other files"));
      return new Result(null, problems);
    }
    doc = docs.get(0);
    Map<String, Object> top = doc.root();
    fields(top, "", TOP, "");
    String domain = null;
    if (top.containsKey("kind") && !KIND.equals(doc.textAt("kind"))) {
      problem("kind", "kind must be " + KIND + " in a rate-limit config");
    }
    if (!top.containsKey("domain")) {
      problem("", "missing 'domain'");
    } else {
      domain = doc.textAt("domain");
      if (domain == null || domain.isBlank()) {
        problem("domain", "domain must be a non-empty string");
        domain = null;
      } else if (ReservedDomains.isReserved(domain)) {
        problem(
            "domain",
            "domain '"
                + domain
                + "' is reserved: domains named "
                + ReservedDomains.PREFIX
                + " or under "
                + ReservedDomains.PREFIX
                + ". are Tollgate's own (its warm-up "
                + "spends from "
                + ReservedDomains.WARM_UP
                + "); choose another name");
        domain = null;
      }
    }
    Map<String, Descriptor> descriptors = Map.of();
    if (!top.containsKey("descriptors")) {
      problem("", "missing 'descriptors'");
    } else {
      descriptors = descriptors(top.get("descriptors"), "descriptors");
    }
    Boolean failureModeDeny =
        top.containsKey("failure_mode_deny") ? bool("failure_mode_deny") : null;
    for (Replace ref : replaceRefs) {
      if (!limitNames.containsKey(ref.name())) {
        problem(
            ref.path(),
            "replaces unknown rate limit name '"
                + ref.name()
                + "'; names in this domain: "
                + new TreeSet<>(limitNames.keySet()));
      }
    }
    if (!problems.isEmpty() || domain == null) {
      return new Result(null, problems);
    }
    return new Result(
        new DomainConfig(domain, file, descriptors, prefixes(descriptors), failureModeDeny),
        List.of());
  }

  private Map<String, Descriptor> descriptors(Object node, String path) {
    Map<String, Descriptor> out = new LinkedHashMap<>();
    if (node == null) {
      return out; // "descriptors:" with nothing after it
    }
    if (!(node instanceof List<?> items)) {
      problem(path, "descriptors must be a list");
      return out;
    }
    Map<String, Integer> firstLine = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      String at = YamlDocument.item(path, i);
      if (!(items.get(i) instanceof Map<?, ?> m)) {
        problem(at, "a descriptor is a mapping with at least 'key'");
        continue;
      }
      Descriptor d = descriptor(m, at);
      if (d == null) {
        continue;
      }
      Integer first = firstLine.putIfAbsent(d.id(), d.line());
      if (first != null) {
        problem(
            at,
            "duplicate descriptor "
                + (d.value().isEmpty()
                    ? "key '" + d.key() + "'"
                    : "'" + d.key() + "' = '" + d.value() + "'")
                + " (first at line "
                + first
                + ")");
        continue;
      }
      out.put(d.id(), d);
    }
    return out;
  }

  private Descriptor descriptor(Map<?, ?> m, String path) {
    fields(m, path, DESCRIPTOR, "descriptor ");
    String keyPath = YamlDocument.child(path, "key");
    String key = m.containsKey("key") ? doc.textAt(keyPath) : null;
    if (key == null || key.isEmpty()) {
      problem(m.containsKey("key") ? keyPath : path, "a descriptor needs a non-empty 'key'");
      return null;
    }
    String value = "";
    if (m.containsKey("value")) {
      String valuePath = YamlDocument.child(path, "value");
      value = doc.textAt(valuePath);
      if (value == null) {
        problem(valuePath, "value must be a string");
        value = "";
      }
    }
    RateLimit limit =
        m.containsKey("rate_limit")
            ? limit(m.get("rate_limit"), YamlDocument.child(path, "rate_limit"))
            : null;
    boolean shadow = m.containsKey("shadow_mode") && bool(YamlDocument.child(path, "shadow_mode"));
    boolean detailed =
        m.containsKey("detailed_metric") && bool(YamlDocument.child(path, "detailed_metric"));
    Map<String, Descriptor> children =
        m.containsKey("descriptors")
            ? descriptors(m.get("descriptors"), YamlDocument.child(path, "descriptors"))
            : Map.of();
    return new Descriptor(
        key, value, limit, shadow, detailed, children, prefixes(children), doc.at(path).line());
  }

  private RateLimit limit(Object node, String path) {
    if (!(node instanceof Map<?, ?> m)) {
      problem(path, "rate_limit must be a mapping");
      return null;
    }
    fields(m, path, LIMIT, "rate_limit ");
    String name = m.containsKey("name") ? doc.textAt(YamlDocument.child(path, "name")) : "";
    if (name != null && !name.isEmpty()) {
      Integer first = limitNames.putIfAbsent(name, doc.at(path).line());
      if (first != null) {
        problem(
            YamlDocument.child(path, "name"),
            "duplicate rate limit name '" + name + "' (first at line " + first + ")");
      }
    }
    List<String> replaces = replaces(m, path);
    Quotas.Mode mode = Quotas.Mode.STRICT;
    if (m.containsKey("mode")) {
      String modePath = YamlDocument.child(path, "mode");
      String s = doc.textAt(modePath);
      if ("fast".equals(s)) {
        mode = Quotas.Mode.FAST;
      } else if (!"strict".equals(s)) {
        problem(modePath, "mode must be strict or fast, not '" + s + "'");
      }
    }
    boolean unlimited = m.containsKey("unlimited") && bool(YamlDocument.child(path, "unlimited"));
    if (unlimited) {
      if (m.containsKey("unit") || m.containsKey("requests_per_unit") || m.containsKey("mode")) {
        problem(path, "an unlimited rate_limit takes no unit, requests_per_unit or mode");
      }
      return new RateLimit(name, null, 0, true, replaces, null);
    }
    RateLimitUnit unit = null;
    if (!m.containsKey("unit")) {
      problem(path, "rate_limit needs 'unit' (second, minute, hour, day) or 'unlimited: true'");
    } else {
      String unitPath = YamlDocument.child(path, "unit");
      String u = doc.textAt(unitPath);
      unit = u == null ? null : RateLimitUnit.parse(u);
      if (unit == null) {
        problem(unitPath, "unit must be second, minute, hour or day, not '" + u + "'");
      }
    }
    long rpu = 0;
    if (!m.containsKey("requests_per_unit")) {
      problem(path, "rate_limit needs 'requests_per_unit'");
    } else {
      String rpuPath = YamlDocument.child(path, "requests_per_unit");
      String s = doc.textAt(rpuPath);
      try {
        rpu = Long.parseLong(s == null ? "" : s.strip());
        if (rpu <= 0) {
          problem(
              rpuPath,
              "requests_per_unit must be positive, not "
                  + rpu
                  + " (use unlimited: true for no limit)");
        }
      } catch (NumberFormatException e) {
        problem(rpuPath, "requests_per_unit must be a whole number, not '" + s + "'");
      }
    }
    return new RateLimit(name, unit, rpu, false, replaces, mode);
  }

  private List<String> replaces(Map<?, ?> limit, String limitPath) {
    List<String> out = new ArrayList<>();
    if (!limit.containsKey("replaces")) {
      return out;
    }
    String path = YamlDocument.child(limitPath, "replaces");
    if (!(limit.get("replaces") instanceof List<?> items)) {
      problem(path, "replaces must be a list of {name: ...}");
      return out;
    }
    for (int i = 0; i < items.size(); i++) {
      String at = YamlDocument.item(path, i);
      String n = null;
      if (items.get(i) instanceof Map<?, ?> im) {
        fields(im, at, Set.of("name"), "replaces ");
        n = im.containsKey("name") ? doc.textAt(YamlDocument.child(at, "name")) : null;
      }
      if (n == null || n.isEmpty()) {
        problem(at, "each entry of replaces is {name: <rate limit name>}");
      } else {
        out.add(n);
        replaceRefs.add(new Replace(n, at));
      }
    }
    return out;
  }

  /** Refuses the keys of {@code m} that are not {@code known}, at the key. */
  private void fields(Map<?, ?> m, String path, Set<String> known, String what) {
    for (Object k : m.keySet()) {
      if (!known.contains(k)) {
        problems.add(
            doc.keyAt(YamlDocument.child(path, (String) k))
                .error(
                    file,
                    "unknown "
                        + what
                        + "field '"
                        + k
                        + "'; expected one of "
                        + new TreeSet<>(known)));
      }
    }
  }

  private boolean bool(String path) {
    String s = doc.textAt(path);
    if ("true".equals(s)) {
      return true;
    }
    if (!"false".equals(s)) {
      problem(path, "must be true or false, not '" + s + "'");
    }
    return false;
  }

  private void problem(String path, String message) {
    problems.add(doc.at(path).error(file, message));
  }

  private static List<Descriptor> prefixes(Map<String, Descriptor> level) {
    List<Descriptor> out = new ArrayList<>();
    for (Descriptor d : level.values()) {
      if (d.isPrefix()) {
        out.add(d);
      }
    }
    out.sort(Comparator.comparingInt((Descriptor d) -> d.value().length()).reversed());
    return List.copyOf(out);
  }
}
