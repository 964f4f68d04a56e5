package io.tollgate.rules.rego;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.config.HandlerConfig;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.engine.PolicyEngine;
import io.tollgate.rules.snapshot.CompiledRule;
import io.tollgate.rules.snapshot.HandlerEntry;
import io.tollgate.rules.snapshot.PreparedPolicy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * {@code RegoPolicyEngine} makes {@code *.rego} modules and their data documents ({@code
 * data.json}, {@code data.yaml}, as in OPA bundles) part of a policy: uploaded to a real OPA per
 * version ({@link RegoEngine}, started the first time a policy has Rego), {@code adapter: rego}
 * handlers that ask for one document, and, when no such handler is configured and a module is
 * {@code package envoy.authz}, OPA-Envoy's decision {@value #OPA_ENVOY_DECISION} for every request.
 */
public final class RegoPolicyEngine implements PolicyEngine {
  /** The decision OPA-Envoy asks for by default. */
  public static final String OPA_ENVOY_DECISION = "envoy.authz.allow";

  /** Names of Rego data documents, as in OPA bundles: merged at their directory's path. */
  public static final Set<String> DATA_FILES = Set.of("data.json", "data.yaml", "data.yml");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegoEngine.Settings settings;
  private final RegoEngine.Observer observer;
  private final Duration defaultTimeout;
  private final boolean strict;
  private RegoEngine engine;

  /**
   * @param defaultTimeout the deadline of a handler that sets none
   * @param strict whether an unreachable OPA is an error (validate, test) rather than a reason to
   *     upload later (serve)
   */
  public RegoPolicyEngine(
      RegoEngine.Settings settings,
      RegoEngine.Observer observer,
      Duration defaultTimeout,
      boolean strict) {
    this.settings = settings;
    this.observer = observer;
    this.defaultTimeout = defaultTimeout;
    this.strict = strict;
  }

  /** The OPA connection, started the first time a policy has Rego. */
  private synchronized RegoEngine engine() {
    if (engine == null) {
      engine = new RegoEngine(settings, observer);
    }
    return engine;
  }

  /** The OPA connection if any policy so far had Rego, else {@code null}. */
  public synchronized RegoEngine started() {
    return engine;
  }

  @Override
  public String adapter() {
    return RegoHandler.ADAPTER;
  }

  @Override
  public boolean reads(String fileName) {
    return DATA_FILES.contains(fileName)
        || (fileName.endsWith(".rego") && !fileName.endsWith("_test.rego"));
  }

  @Override
  public String filePattern() {
    return "*.rego";
  }

  @Override
  public PreparedPolicy prepare(
      Map<String, String> files, PreparedPolicy previous, Problems problems) {
    Map<String, String> modules = new LinkedHashMap<>();
    Map<String, Object> data = new LinkedHashMap<>();
    boolean dataFailed = false;
    for (Map.Entry<String, String> f : files.entrySet()) {
      String rel = f.getKey();
      if (!DATA_FILES.contains(rel.substring(rel.lastIndexOf('/') + 1))) {
        modules.put(rel, f.getValue());
        continue;
      }
      Object parsed = parseData(rel, f.getValue(), problems);
      if (parsed == UNREADABLE) {
        dataFailed = true;
      } else {
        data.put(rel, parsed); // null for an empty document: RegoBundle refuses it
      }
    }
    if (modules.isEmpty()) {
      for (String d : data.keySet()) {
        problems.add(
            ConfigError.of(
                d,
                "a Rego data document, but the policy has no .rego files to use it (rename it if it"
                    + " is not data)"));
      }
      return null;
    }
    if (dataFailed) {
      return null;
    }
    RegoEngine.Prepared p =
        engine().prepare(modules, data, previous instanceof RegoBundle b ? b : null, strict);
    problems.list().addAll(p.errors());
    return p.bundle();
  }

  private static final Object UNREADABLE = new Object();

  /** A data document's content; {@link #UNREADABLE} after a located problem. */
  private static Object parseData(String rel, String text, Problems problems) {
    try {
      return rel.endsWith(".json")
          ? JSON.readValue(text, Object.class)
          : new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (JsonProcessingException e) {
      var l = e.getLocation();
      problems.add(
          new ConfigError(
              rel,
              l == null ? 0 : l.getLineNr(),
              l == null ? 0 : l.getColumnNr(),
              "not valid JSON: " + e.getOriginalMessage()));
    } catch (MarkedYAMLException e) {
      var m = e.getProblemMark();
      problems.add(
          new ConfigError(
              rel,
              m == null ? 0 : m.getLine() + 1,
              m == null ? 0 : m.getColumn() + 1,
              "not valid YAML: " + e.getProblem()));
    } catch (YAMLException e) {
      problems.add(ConfigError.of(rel, "not valid YAML: " + e.getMessage()));
    }
    return UNREADABLE;
  }

  @Override
  public HandlerEntry handler(HandlerConfig hc, PreparedPolicy prepared, Problems problems) {
    hc.refuseUnknownParams(List.of("query"), problems);
    Object q = hc.params().get("query");
    if (!(q instanceof String query) || query.isBlank()) {
      problems.at(
          hc.doc(),
          "params",
          "handler '"
              + hc.name()
              + "' (adapter rego) needs params.query: the Rego document that decides, e.g. "
              + OPA_ENVOY_DECISION);
      return null;
    }
    if (!(prepared instanceof RegoBundle bundle)) {
      if (problems.isEmpty()) {
        problems.at(
            hc.doc(),
            "adapter",
            "handler '" + hc.name() + "' uses rego, but the policy has no .rego files");
      }
      return null;
    }
    if (!bundle.declares(query)) {
      problems.at(
          hc.doc(),
          "params.query",
          "no Rego module declares the package of '" + query + "'; packages: " + bundle.packages());
      return null;
    }
    return new HandlerEntry(
        hc.name(),
        RegoHandler.ADAPTER,
        Set.of("checknothing", "authorization"),
        new RegoHandler(engine(), bundle, query.replace('/', '.')),
        hc.failOpen(),
        hc.timeout() != null ? hc.timeout() : defaultTimeout,
        "rego:" + query,
        Map.of());
  }

  /** Without rego handlers, an OPA-Envoy policy ({@code package envoy.authz}) decides. */
  @Override
  public CompiledRule globalRule(PreparedPolicy prepared, List<HandlerEntry> handlers) {
    RegoBundle bundle = (RegoBundle) prepared;
    if (!handlers.isEmpty() || !bundle.declares(OPA_ENVOY_DECISION)) {
      return null;
    }
    return CompiledRule.always(
        OPA_ENVOY_DECISION,
        new HandlerEntry(
            "rego",
            RegoHandler.ADAPTER,
            Set.of("checknothing"),
            new RegoHandler(engine(), bundle, OPA_ENVOY_DECISION),
            false,
            defaultTimeout,
            "rego:global",
            Map.of()));
  }

  @Override
  public void activate(PreparedPolicy prepared) {
    engine().activate((RegoBundle) prepared);
  }

  @Override
  public String notReadyReason() {
    RegoEngine e = started();
    return e == null ? "" : e.notReadyReason();
  }

  @Override
  public void close() {
    RegoEngine e = started();
    if (e != null) {
      e.close();
    }
  }
}
