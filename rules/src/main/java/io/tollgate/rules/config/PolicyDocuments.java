package io.tollgate.rules.config;

import io.tollgate.common.config.Durations;
import io.tollgate.common.config.YamlDocument;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code PolicyDocuments} turns YAML documents into handler, instance and rule configs, checking
 * their shape: known kind, required and known fields, field types. Meaning (does the adapter exist,
 * does the expression type-check) is checked later by the compiler.
 */
public final class PolicyDocuments {
  /** Every kind this version understands. */
  public static final Set<String> KINDS = Set.of("Handler", "Instance", "Rule");

  private static final Set<String> HANDLER_FIELDS =
      Set.of(
          "kind", "name", "adapter", "params", "failurePolicy", "timeout", "cache", "description");
  private static final Set<String> CACHE_FIELDS = Set.of("attributes", "ttl", "maxEntries");
  private static final Set<String> INSTANCE_FIELDS =
      Set.of("kind", "name", "template", "params", "description");
  private static final Set<String> RULE_FIELDS =
      Set.of(
          "kind",
          "name",
          "match",
          "actions",
          "requestHeaderOperations",
          "responseHeaderOperations",
          RuleConfig.MATCH_FAILURE_POLICY,
          "description");
  private static final Set<String> ACTION_FIELDS = Set.of("handler", "instances", "name");
  private static final Set<String> HEADER_OP_FIELDS = Set.of("name", "values", "operation");

  private final List<HandlerConfig> handlers = new ArrayList<>();
  private final List<InstanceConfig> instances = new ArrayList<>();
  private final List<RuleConfig> rules = new ArrayList<>();
  private final Problems problems;

  public PolicyDocuments(Problems problems) {
    this.problems = problems;
  }

  public List<HandlerConfig> handlers() {
    return handlers;
  }

  public List<InstanceConfig> instances() {
    return instances;
  }

  public List<RuleConfig> rules() {
    return rules;
  }

  /** What a policy file's document that is not a map is told. */
  public static final String NOT_A_MAP = "a policy document must be a map";

  /** The kind of the wrapped rate-limit config form. */
  public static final String RATE_LIMIT_KIND = "RateLimitConfig";

  /**
   * Whether a document is a rate-limit config: envoyproxy/ratelimit's format (top-level {@code
   * domain} and {@code descriptors}, no {@code kind}) or {@code kind: RateLimitConfig}. Those are
   * compiled by the runtime's rate-limit compiler, not here.
   */
  public static boolean isRateLimitConfig(YamlDocument doc) {
    Map<String, Object> root = doc.root();
    Object kind = root.get("kind");
    return RATE_LIMIT_KIND.equals(kind)
        || (kind == null && root.containsKey("domain") && root.containsKey("descriptors"));
  }

  /** Reads one document. */
  public void add(YamlDocument doc) {
    Map<String, Object> root = doc.root();
    Object kind = root.get("kind");
    if (kind == null) {
      problems.at(doc, "", "missing 'kind'; expected one of " + sorted(KINDS));
      return;
    }
    if (!(kind instanceof String k) || !KINDS.contains(k)) {
      problems.at(doc, "kind", "unknown kind '" + kind + "'; expected one of " + sorted(KINDS));
      return;
    }
    String name = requiredString(doc, root, "", "name");
    switch (k) {
      case "Handler" -> handler(doc, root, name);
      case "Instance" -> instance(doc, root, name);
      default -> rule(doc, root, name);
    }
  }

  private void handler(YamlDocument doc, Map<String, Object> root, String name) {
    unknownFields(doc, root, "", HANDLER_FIELDS);
    String adapter = requiredString(doc, root, "", "adapter");
    Map<String, Object> params = map(doc, root, "", "params");
    boolean failOpen = false;
    Object policy = root.get("failurePolicy");
    if (policy != null) {
      if ("open".equals(policy)) {
        failOpen = true;
      } else if (!"closed".equals(policy)) {
        problems.at(
            doc, "failurePolicy", "failurePolicy must be 'open' or 'closed', not '" + policy + "'");
      }
    }
    Duration timeout = null;
    Object t = root.get("timeout");
    if (t != null) {
      timeout = positive(doc, "timeout", duration(doc, "timeout", String.valueOf(t)));
    }
    HandlerConfig.Cache cache = root.containsKey("cache") ? cache(doc, root.get("cache")) : null;
    if (name != null && adapter != null) {
      handlers.add(new HandlerConfig(name, adapter, params, failOpen, timeout, cache, doc));
    }
  }

  private void instance(YamlDocument doc, Map<String, Object> root, String name) {
    unknownFields(doc, root, "", INSTANCE_FIELDS);
    String template = requiredString(doc, root, "", "template");
    Map<String, Object> params = map(doc, root, "", "params");
    if (name != null && template != null) {
      instances.add(new InstanceConfig(name, template, params, doc));
    }
  }

  private void rule(YamlDocument doc, Map<String, Object> root, String name) {
    unknownFields(doc, root, "", RULE_FIELDS);
    Object m = root.get("match");
    String match = null;
    if (m instanceof String s) {
      match = s.isBlank() ? null : s;
    } else if (m instanceof Boolean b) {
      match = b.toString();
    } else if (m != null) {
      problems.at(doc, "match", "match must be a CEL expression string");
    }
    List<RuleConfig.Action> actions = new ArrayList<>();
    List<Object> rawActions = list(doc, root, "", "actions");
    for (int i = 0; i < rawActions.size(); i++) {
      String path = "actions[" + i + "]";
      if (!(rawActions.get(i) instanceof Map<?, ?> raw)) {
        problems.at(doc, path, "an action must be a map with 'handler' and 'instances'");
        continue;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> a = (Map<String, Object>) raw;
      unknownFields(doc, a, path, ACTION_FIELDS);
      String handler = requiredString(doc, a, path, "handler");
      List<String> names = new ArrayList<>();
      List<Object> rawInstances = list(doc, a, path, "instances");
      for (int j = 0; j < rawInstances.size(); j++) {
        if (rawInstances.get(j) instanceof String s) {
          names.add(s);
        } else {
          problems.at(doc, path + ".instances[" + j + "]", "instance names must be strings");
        }
      }
      if (handler != null) {
        actions.add(new RuleConfig.Action(handler, names, path));
      }
    }
    List<RuleConfig.HeaderOperation> req = headerOps(doc, root, "requestHeaderOperations");
    List<RuleConfig.HeaderOperation> resp = headerOps(doc, root, "responseHeaderOperations");
    if (actions.isEmpty() && req.isEmpty() && resp.isEmpty() && rawActions.isEmpty()) {
      problems.at(
          doc, "", "rule '" + name + "' does nothing: give it actions or header operations");
    }
    Boolean failClosed = null;
    Object policy = root.get(RuleConfig.MATCH_FAILURE_POLICY);
    if ("closed".equals(policy)) {
      failClosed = true;
    } else if ("open".equals(policy)) {
      failClosed = false;
    } else if (policy != null) {
      problems.at(
          doc,
          RuleConfig.MATCH_FAILURE_POLICY,
          RuleConfig.MATCH_FAILURE_POLICY + " must be 'open' or 'closed', not '" + policy + "'");
    }
    if (name != null) {
      rules.add(new RuleConfig(name, match, actions, req, resp, doc, failClosed));
    }
  }

  private List<RuleConfig.HeaderOperation> headerOps(
      YamlDocument doc, Map<String, Object> root, String field) {
    List<RuleConfig.HeaderOperation> out = new ArrayList<>();
    List<Object> raw = list(doc, root, "", field);
    for (int i = 0; i < raw.size(); i++) {
      String path = field + "[" + i + "]";
      if (!(raw.get(i) instanceof Map<?, ?> m)) {
        problems.at(
            doc, path, "a header operation must be a map with 'name', 'values', 'operation'");
        continue;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> op = (Map<String, Object>) m;
      unknownFields(doc, op, path, HEADER_OP_FIELDS);
      String name = requiredString(doc, op, path, "name");
      String operation = "REPLACE";
      if (op.get("operation") instanceof String s) {
        operation = s.toUpperCase(java.util.Locale.ROOT);
        if (!Set.of("REPLACE", "APPEND", "REMOVE").contains(operation)) {
          problems.at(
              doc,
              path + ".operation",
              "operation must be REPLACE, APPEND or REMOVE, not '" + s + "'");
        }
      }
      List<String> values = new ArrayList<>();
      List<Object> rawValues = list(doc, op, path, "values");
      for (int j = 0; j < rawValues.size(); j++) {
        if (rawValues.get(j) instanceof String s) {
          values.add(s);
        } else {
          problems.at(doc, path + ".values[" + j + "]", "values must be CEL expression strings");
        }
      }
      if (!"REMOVE".equals(operation) && rawValues.isEmpty()) {
        problems.at(doc, path, "operation " + operation + " needs at least one value");
      }
      if (name != null) {
        out.add(new RuleConfig.HeaderOperation(name, values, operation, path));
      }
    }
    return out;
  }

  private HandlerConfig.Cache cache(YamlDocument doc, Object value) {
    if (!(value instanceof Map<?, ?> m)) {
      problems.at(doc, "cache", "cache must be a mapping of attributes, ttl and maxEntries");
      return null;
    }
    for (Object k : m.keySet()) {
      if (!CACHE_FIELDS.contains(String.valueOf(k))) {
        problems.atKey(
            doc,
            "cache." + k,
            "unknown field '" + k + "' in cache; expected one of " + sorted(CACHE_FIELDS));
      }
    }
    List<String> attributes = new ArrayList<>();
    if (m.get("attributes") instanceof List<?> l && !l.isEmpty()) {
      for (int i = 0; i < l.size(); i++) {
        String a = String.valueOf(l.get(i));
        boolean oneHeader =
            a.matches("request\\.headers\\[\\s*(\"[^\"]+\"|'[^']+'|[A-Za-z0-9_-]+)\\s*]");
        if (!oneHeader && io.tollgate.adapter.spi.Vocabulary.typeOf(a) == null) {
          problems.at(
              doc,
              "cache.attributes." + i,
              "unknown attribute '" + a + "' (see the attribute vocabulary in the README)");
        }
        attributes.add(a);
      }
    } else {
      problems.at(
          doc,
          "cache",
          "cache needs 'attributes': the attributes the handler's decision depends on");
    }
    Duration ttl = Duration.ofSeconds(10);
    if (m.get("ttl") != null) {
      ttl = positive(doc, "cache.ttl", duration(doc, "cache.ttl", String.valueOf(m.get("ttl"))));
    }
    long max = 10_000;
    if (m.get("maxEntries") != null) {
      if (m.get("maxEntries") instanceof Number n && n.longValue() > 0) {
        max = n.longValue();
      } else {
        problems.at(doc, "cache.maxEntries", "maxEntries must be a positive integer");
      }
    }
    return ttl == null ? null : new HandlerConfig.Cache(List.copyOf(attributes), ttl, max);
  }

  private Duration duration(YamlDocument doc, String path, String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      problems.at(doc, path, e.getMessage());
      return null;
    }
  }

  /** {@code d} if it is longer than zero; else the problem, at {@code path}, and {@code null}. */
  private Duration positive(YamlDocument doc, String path, Duration d) {
    if (d != null && (d.isNegative() || d.isZero())) {
      String field = path.substring(path.lastIndexOf('.') + 1);
      problems.at(doc, path, field + " must be longer than zero, not " + doc.textAt(path));
      return null;
    }
    return d;
  }

  private void unknownFields(
      YamlDocument doc, Map<String, Object> map, String path, Set<String> known) {
    for (String k : map.keySet()) {
      if (!known.contains(k)) {
        problems.atKey(
            doc,
            path.isEmpty() ? k : path + "." + k,
            "unknown field '" + k + "'; expected one of " + sorted(known));
      }
    }
  }

  private String requiredString(
      YamlDocument doc, Map<String, Object> map, String path, String field) {
    Object v = map.get(field);
    String where = path.isEmpty() ? field : path + "." + field;
    if (v == null) {
      problems.at(doc, path, "missing '" + field + "'");
      return null;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      problems.at(doc, where, "'" + field + "' must be a non-empty string");
      return null;
    }
    return s;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> map(
      YamlDocument doc, Map<String, Object> m, String path, String field) {
    Object v = m.get(field);
    if (v == null) {
      return Map.of();
    }
    if (v instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    problems.at(doc, path.isEmpty() ? field : path + "." + field, "'" + field + "' must be a map");
    return Map.of();
  }

  @SuppressWarnings("unchecked")
  private List<Object> list(YamlDocument doc, Map<String, Object> m, String path, String field) {
    Object v = m.get(field);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List<?> l) {
      return (List<Object>) l;
    }
    problems.at(doc, path.isEmpty() ? field : path + "." + field, "'" + field + "' must be a list");
    return List.of();
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }
}
