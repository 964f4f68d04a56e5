package io.tollgate.rules.testing;

import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.MapAttributes;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.YamlDocument;
import io.tollgate.common.config.YamlReader;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.rules.PolicyLoadException;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.RuntimeOptions;
import io.tollgate.rules.config.Problems;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code RuleTestRunner} runs the cases in {@code tests/*.yaml} of a policy directory against that
 * policy. A test file looks like:
 *
 * <pre>{@code
 * cases:
 * - name: only admins reach /admin
 *   attributes:
 *     request.method: GET
 *     request.path: /admin/users
 *     source.principal: spiffe://cluster.local/ns/shop/sa/frontend
 *     request.headers: {x-user: bob}
 *   expect:
 *     decision: deny          # allow | deny
 *     status: 403             # optional
 *     rule: admin-only        # optional: the rule that denied
 *     requestHeaders:         # optional: headers set on the upstream request
 *       x-user-id: bob
 * }</pre>
 */
public final class RuleTestRunner {
  private static final Set<String> CASE_FIELDS = Set.of("name", "attributes", "expect");
  private static final Set<String> EXPECT_FIELDS =
      Set.of(
          "decision", "status", "rule", "handler", "message", "requestHeaders", "responseHeaders");

  private RuleTestRunner() {}

  /** Loads the policy and runs every case. */
  public static TestReport run(RuntimeOptions options) {
    Path testsDir = options.policyDir().resolve("tests");
    List<ConfigError> errors = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(testsDir)) {
      try (Stream<Path> s = Files.list(testsDir)) {
        s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
            .sorted()
            .forEach(files::add);
      } catch (IOException e) {
        errors.add(ConfigError.of("tests", "cannot list: " + e.getMessage()));
      }
    }
    if (files.isEmpty() && errors.isEmpty()) {
      errors.add(ConfigError.of("tests", "no test files (tests/*.yaml) in " + options.policyDir()));
    }
    PolicyRuntime runtime;
    try {
      runtime = PolicyRuntime.startQuietly(options);
    } catch (PolicyLoadException e) {
      errors.addAll(e.errors());
      return new TestReport(List.of(), errors);
    }
    List<CaseResult> results = new ArrayList<>();
    try (runtime) {
      for (Path f : files) {
        String rel = options.policyDir().relativize(f).toString().replace('\\', '/');
        runFile(runtime, f, rel, results, errors);
      }
    }
    return new TestReport(results, errors);
  }

  private static void runFile(
      PolicyRuntime runtime,
      Path f,
      String rel,
      List<CaseResult> results,
      List<ConfigError> errors) {
    String text;
    try {
      text = Files.readString(f, StandardCharsets.UTF_8);
    } catch (IOException e) {
      errors.add(ConfigError.of(rel, "cannot read: " + e.getMessage()));
      return;
    }
    Problems problems = new Problems();
    for (YamlDocument doc :
        YamlReader.read(rel, text, "a test file is a map with a 'cases' list", problems.list())) {
      if (!(doc.root().get("cases") instanceof List<?> cases)) {
        problems.at(doc, "", "a test file is a map with a 'cases' list");
        continue;
      }
      for (int i = 0; i < cases.size(); i++) {
        String path = "cases[" + i + "]";
        if (!(cases.get(i) instanceof Map<?, ?> c)) {
          problems.at(doc, path, "a case is a map with name, attributes and expect");
          continue;
        }
        int before = problems.size();
        for (Object k : c.keySet()) {
          if (!CASE_FIELDS.contains(String.valueOf(k))) {
            problems.atKey(
                doc, path + "." + k, "unknown field '" + k + "'; expected " + CASE_FIELDS);
          }
        }
        String name = c.get("name") == null ? "case " + (i + 1) : String.valueOf(c.get("name"));
        MapAttributes attributes =
            attributes(doc, path + ".attributes", c.get("attributes"), problems);
        Expectation expect = expectation(doc, path + ".expect", c.get("expect"), problems);
        if (problems.size() > before) {
          continue;
        }
        Map<String, Long> errorsBefore = runtime.counters().matchErrors();
        PolicyDecision d = runtime.check(attributes);
        List<String> matchErrors = new ArrayList<>();
        runtime
            .counters()
            .matchErrors()
            .forEach(
                (rule, n) -> {
                  if (n > errorsBefore.getOrDefault(rule, 0L)) {
                    matchErrors.add(rule);
                  }
                });
        String actual = describe(d);
        List<String> mismatches = expect.mismatches(d);
        results.add(
            new CaseResult(
                rel,
                name,
                mismatches.isEmpty(),
                expect.describe(),
                mismatches.isEmpty() ? actual : actual + " (" + String.join("; ", mismatches) + ")",
                matchErrors));
      }
    }
    errors.addAll(problems.list());
  }

  private static String describe(PolicyDecision d) {
    if (d.allowed()) {
      return "allow";
    }
    return "deny "
        + d.httpStatus()
        + " by "
        + (d.rule().isEmpty() ? "?" : d.rule())
        + ": "
        + d.message();
  }

  @SuppressWarnings("unchecked")
  private static MapAttributes attributes(
      YamlDocument doc, String path, Object raw, Problems problems) {
    MapAttributes.Builder b = MapAttributes.builder();
    if (raw == null) {
      return b.build();
    }
    if (!(raw instanceof Map<?, ?> m)) {
      problems.at(doc, path, "attributes must be a map of attribute name to value");
      return b.build();
    }
    for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
      String name = e.getKey();
      String where = path + "." + name;
      AttributeType type = Vocabulary.typeOf(name);
      if (type == null) {
        problems.atKey(doc, where, "unknown attribute '" + name + "'");
        continue;
      }
      Object v = e.getValue();
      try {
        b.put(name, convert(type, v));
      } catch (IllegalArgumentException | DateTimeParseException ex) {
        problems.at(
            doc, where, "attribute '" + name + "' has type " + type + ": " + ex.getMessage());
      }
    }
    return b.build();
  }

  private static Object convert(AttributeType type, Object v) {
    if (v == null) {
      return null;
    }
    return switch (type) {
      case STRING -> String.valueOf(v);
      case INT -> {
        if (v instanceof Number n) {
          yield n.longValue();
        }
        throw new IllegalArgumentException("'" + v + "' is not an integer");
      }
      case BOOL -> {
        if (v instanceof Boolean bo) {
          yield bo;
        }
        throw new IllegalArgumentException("'" + v + "' is not true or false");
      }
      case TIMESTAMP -> Instant.parse(String.valueOf(v));
      case DURATION -> Duration.parse(String.valueOf(v));
      case STRING_MAP, DYN_MAP -> {
        if (v instanceof Map<?, ?> m) {
          Map<String, Object> out = new LinkedHashMap<>();
          m.forEach(
              (k, x) ->
                  out.put(
                      String.valueOf(k), type == AttributeType.STRING_MAP ? String.valueOf(x) : x));
          yield out;
        }
        throw new IllegalArgumentException("expected a map");
      }
      case STRING_LIST -> {
        if (v instanceof List<?> l) {
          yield l.stream().map(String::valueOf).toList();
        }
        throw new IllegalArgumentException("expected a list");
      }
      case DYN -> v;
    };
  }

  private record Expectation(
      Boolean allow,
      Integer status,
      String rule,
      String handler,
      String message,
      Map<String, String> requestHeaders,
      Map<String, String> responseHeaders) {

    List<String> mismatches(PolicyDecision d) {
      List<String> out = new ArrayList<>();
      if (allow != null && allow != d.allowed()) {
        out.add("expected " + (allow ? "allow" : "deny"));
      }
      if (status != null && status != d.httpStatus()) {
        out.add("expected status " + status + ", got " + d.httpStatus());
      }
      if (rule != null && !rule.equals(d.rule())) {
        out.add("expected rule '" + rule + "', got '" + d.rule() + "'");
      }
      if (handler != null && !handler.equals(d.handler())) {
        out.add("expected handler '" + handler + "', got '" + d.handler() + "'");
      }
      if (message != null && !d.message().contains(message)) {
        out.add("expected message containing '" + message + "', got '" + d.message() + "'");
      }
      compareHeaders("request", requestHeaders, d.requestHeaders(), out);
      compareHeaders("response", responseHeaders, d.responseHeaders(), out);
      return out;
    }

    private static void compareHeaders(
        String which, Map<String, String> want, List<HeaderOp> got, List<String> out) {
      if (want == null) {
        return;
      }
      Map<String, String> applied = new LinkedHashMap<>();
      for (HeaderOp op : got) {
        switch (op.op()) {
          case REPLACE -> applied.put(op.name(), op.value());
          case APPEND -> applied.merge(op.name(), op.value(), (a, b) -> a + "," + b);
          case REMOVE -> applied.remove(op.name());
        }
      }
      want.forEach(
          (k, v) -> {
            String actual = applied.get(k.toLowerCase(java.util.Locale.ROOT));
            if (!v.equals(actual)) {
              out.add(
                  which
                      + " header "
                      + k
                      + ": expected '"
                      + v
                      + "', got "
                      + (actual == null ? "none" : "'" + actual + "'"));
            }
          });
    }

    String describe() {
      StringBuilder b = new StringBuilder(allow == null ? "any" : allow ? "allow" : "deny");
      if (status != null) {
        b.append(' ').append(status);
      }
      if (rule != null) {
        b.append(" by ").append(rule);
      }
      if (requestHeaders != null) {
        b.append(" headers ").append(requestHeaders);
      }
      return b.toString();
    }
  }

  @SuppressWarnings("unchecked")
  private static Expectation expectation(
      YamlDocument doc, String path, Object raw, Problems problems) {
    if (!(raw instanceof Map<?, ?> m0)) {
      problems.at(doc, path, "expect must be a map, e.g. {decision: deny, status: 403}");
      return null;
    }
    Map<String, Object> m = (Map<String, Object>) m0;
    for (String k : m.keySet()) {
      if (!EXPECT_FIELDS.contains(k)) {
        problems.atKey(
            doc, path + "." + k, "unknown field '" + k + "'; expected one of " + EXPECT_FIELDS);
      }
    }
    Boolean allow = null;
    Object d = m.get("decision");
    if ("allow".equals(d)) {
      allow = true;
    } else if ("deny".equals(d)) {
      allow = false;
    } else {
      problems.at(doc, path + ".decision", "decision must be allow or deny");
    }
    Integer status = m.get("status") instanceof Number n ? n.intValue() : null;
    return new Expectation(
        allow,
        status,
        m.get("rule") == null ? null : String.valueOf(m.get("rule")),
        m.get("handler") == null ? null : String.valueOf(m.get("handler")),
        m.get("message") == null ? null : String.valueOf(m.get("message")),
        stringMap(m.get("requestHeaders")),
        stringMap(m.get("responseHeaders")));
  }

  private static Map<String, String> stringMap(Object o) {
    if (!(o instanceof Map<?, ?> m)) {
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
    return out;
  }
}
