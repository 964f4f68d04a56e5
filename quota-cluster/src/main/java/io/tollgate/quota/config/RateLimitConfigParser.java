package io.tollgate.quota.config;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.common.config.ConfigError;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

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
 * The same with {@code kind: RateLimitConfig} at the top is accepted too. Every problem is reported
 * with its line and column; a file with problems yields no config.
 */
public final class RateLimitConfigParser {
  /** The {@code kind} of the wrapped form. */
  public static final String KIND = "RateLimitConfig";

  private static final Set<String> TOP =
      Set.of("kind", "domain", "descriptors", "failure_mode_deny");
  private static final Set<String> DESCRIPTOR =
      Set.of("key", "value", "rate_limit", "descriptors", "shadow_mode", "detailed_metric");
  private static final Set<String> LIMIT =
      Set.of("unit", "requests_per_unit", "unlimited", "name", "replaces", "mode");

  /** The outcome: a config, or the problems that kept it from loading. */
  public record Result(DomainConfig config, List<ConfigError> problems) {}

  private final String file;
  private final List<ConfigError> problems = new ArrayList<>();
  private final Map<String, Integer> limitNames = new HashMap<>();
  private final List<Object[]> replaceRefs = new ArrayList<>(); // {name, node}

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
    Node root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark();
      problems.add(
          new ConfigError(
              file,
              m == null ? 0 : m.getLine() + 1,
              m == null ? 0 : m.getColumn() + 1,
              "YAML syntax error: " + e.getProblem()));
      return new Result(null, problems);
    }
    if (!(root instanceof MappingNode top)) {
      problem(root, "a rate-limit config is a mapping with 'domain' and 'descriptors'");
      return new Result(null, problems);
    }
    Map<String, NodeTuple> fields = fields(top, TOP, "");
    String domain = null;
    if (fields.containsKey("kind") && !KIND.equals(scalar(fields.get("kind").getValueNode()))) {
      problem(
          fields.get("kind").getValueNode(), "kind must be " + KIND + " in a rate-limit config");
    }
    if (!fields.containsKey("domain")) {
      problem(top, "missing 'domain'");
    } else {
      domain = scalar(fields.get("domain").getValueNode());
      if (domain == null || domain.isBlank()) {
        problem(fields.get("domain").getValueNode(), "domain must be a non-empty string");
        domain = null;
      } else if (ReservedDomains.isReserved(domain)) {
        problem(
            fields.get("domain").getValueNode(),
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
    if (!fields.containsKey("descriptors")) {
      problem(top, "missing 'descriptors'");
    } else {
      descriptors = descriptors(fields.get("descriptors").getValueNode());
    }
    Boolean failureModeDeny =
        fields.containsKey("failure_mode_deny")
            ? bool(fields.get("failure_mode_deny").getValueNode())
            : null;
    for (Object[] ref : replaceRefs) {
      if (!limitNames.containsKey((String) ref[0])) {
        problem(
            (Node) ref[1],
            "replaces unknown rate limit name '"
                + ref[0]
                + "'; names in this domain: "
                + new java.util.TreeSet<>(limitNames.keySet()));
      }
    }
    if (!problems.isEmpty() || domain == null) {
      return new Result(null, problems);
    }
    return new Result(
        new DomainConfig(domain, file, descriptors, prefixes(descriptors), failureModeDeny),
        List.of());
  }

  private Map<String, Descriptor> descriptors(Node node) {
    Map<String, Descriptor> out = new LinkedHashMap<>();
    if (node instanceof ScalarNode s && (s.getValue().isEmpty() || s.getValue().equals("null"))) {
      return out;
    }
    if (!(node instanceof SequenceNode seq)) {
      problem(node, "descriptors must be a list");
      return out;
    }
    Map<String, Integer> firstLine = new HashMap<>();
    for (Node item : seq.getValue()) {
      if (!(item instanceof MappingNode m)) {
        problem(item, "a descriptor is a mapping with at least 'key'");
        continue;
      }
      Descriptor d = descriptor(m);
      if (d == null) {
        continue;
      }
      Integer first = firstLine.putIfAbsent(d.id(), d.line());
      if (first != null) {
        problem(
            m,
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

  private Descriptor descriptor(MappingNode m) {
    Map<String, NodeTuple> f = fields(m, DESCRIPTOR, "descriptor ");
    String key = f.containsKey("key") ? scalar(f.get("key").getValueNode()) : null;
    if (key == null || key.isEmpty()) {
      problem(
          f.containsKey("key") ? f.get("key").getValueNode() : m,
          "a descriptor needs a non-empty 'key'");
      return null;
    }
    String value = "";
    if (f.containsKey("value")) {
      value = scalar(f.get("value").getValueNode());
      if (value == null) {
        problem(f.get("value").getValueNode(), "value must be a string");
        value = "";
      }
    }
    RateLimit limit =
        f.containsKey("rate_limit") ? limit(f.get("rate_limit").getValueNode()) : null;
    boolean shadow = f.containsKey("shadow_mode") && bool(f.get("shadow_mode").getValueNode());
    boolean detailed =
        f.containsKey("detailed_metric") && bool(f.get("detailed_metric").getValueNode());
    Map<String, Descriptor> children =
        f.containsKey("descriptors") ? descriptors(f.get("descriptors").getValueNode()) : Map.of();
    return new Descriptor(
        key,
        value,
        limit,
        shadow,
        detailed,
        children,
        prefixes(children),
        m.getStartMark().getLine() + 1);
  }

  private RateLimit limit(Node node) {
    if (!(node instanceof MappingNode m)) {
      problem(node, "rate_limit must be a mapping");
      return null;
    }
    Map<String, NodeTuple> f = fields(m, LIMIT, "rate_limit ");
    String name = f.containsKey("name") ? scalar(f.get("name").getValueNode()) : "";
    if (name != null && !name.isEmpty()) {
      Integer first = limitNames.putIfAbsent(name, m.getStartMark().getLine() + 1);
      if (first != null) {
        problem(
            f.get("name").getValueNode(),
            "duplicate rate limit name '" + name + "' (first at line " + first + ")");
      }
    }
    List<String> replaces = new ArrayList<>();
    if (f.containsKey("replaces")) {
      Node r = f.get("replaces").getValueNode();
      if (r instanceof SequenceNode seq) {
        for (Node item : seq.getValue()) {
          String n = null;
          if (item instanceof MappingNode im) {
            NodeTuple t = fields(im, Set.of("name"), "replaces ").get("name");
            n = t == null ? null : scalar(t.getValueNode());
          }
          if (n == null || n.isEmpty()) {
            problem(item, "each entry of replaces is {name: <rate limit name>}");
          } else {
            replaces.add(n);
            replaceRefs.add(new Object[] {n, item});
          }
        }
      } else {
        problem(r, "replaces must be a list of {name: ...}");
      }
    }
    Quotas.Mode mode = Quotas.Mode.STRICT;
    if (f.containsKey("mode")) {
      String s = scalar(f.get("mode").getValueNode());
      if ("fast".equals(s)) {
        mode = Quotas.Mode.FAST;
      } else if (!"strict".equals(s)) {
        problem(f.get("mode").getValueNode(), "mode must be strict or fast, not '" + s + "'");
      }
    }
    boolean unlimited = f.containsKey("unlimited") && bool(f.get("unlimited").getValueNode());
    if (unlimited) {
      if (f.containsKey("unit") || f.containsKey("requests_per_unit") || f.containsKey("mode")) {
        problem(m, "an unlimited rate_limit takes no unit, requests_per_unit or mode");
      }
      return new RateLimit(name, null, 0, true, replaces, null);
    }
    RateLimitUnit unit = null;
    if (!f.containsKey("unit")) {
      problem(m, "rate_limit needs 'unit' (second, minute, hour, day) or 'unlimited: true'");
    } else {
      String u = scalar(f.get("unit").getValueNode());
      unit = u == null ? null : RateLimitUnit.parse(u);
      if (unit == null) {
        problem(
            f.get("unit").getValueNode(),
            "unit must be second, minute, hour or day, not '" + u + "'");
      }
    }
    long rpu = 0;
    if (!f.containsKey("requests_per_unit")) {
      problem(m, "rate_limit needs 'requests_per_unit'");
    } else {
      Node n = f.get("requests_per_unit").getValueNode();
      String s = scalar(n);
      try {
        rpu = Long.parseLong(s == null ? "" : s.strip());
        if (rpu <= 0) {
          problem(
              n,
              "requests_per_unit must be positive, not "
                  + rpu
                  + " (use unlimited: true for no limit)");
        }
      } catch (NumberFormatException e) {
        problem(n, "requests_per_unit must be a whole number, not '" + s + "'");
      }
    }
    return new RateLimit(name, unit, rpu, false, replaces, mode);
  }

  private Map<String, NodeTuple> fields(MappingNode m, Set<String> known, String what) {
    Map<String, NodeTuple> out = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (NodeTuple t : m.getValue()) {
      String k = scalar(t.getKeyNode());
      if (k == null || !known.contains(k)) {
        problem(
            t.getKeyNode(),
            "unknown "
                + what
                + "field '"
                + k
                + "'; expected one of "
                + new java.util.TreeSet<>(known));
        continue;
      }
      if (!seen.add(k)) {
        problem(t.getKeyNode(), "'" + k + "' is given twice");
        continue;
      }
      out.put(k, t);
    }
    return out;
  }

  private boolean bool(Node n) {
    String s = scalar(n);
    if ("true".equals(s)) {
      return true;
    }
    if (!"false".equals(s)) {
      problem(n, "must be true or false, not '" + s + "'");
    }
    return false;
  }

  private static String scalar(Node n) {
    return n instanceof ScalarNode s ? s.getValue() : null;
  }

  private void problem(Node at, String message) {
    Mark m = at == null ? null : at.getStartMark();
    problems.add(
        new ConfigError(
            file, m == null ? 0 : m.getLine() + 1, m == null ? 0 : m.getColumn() + 1, message));
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
