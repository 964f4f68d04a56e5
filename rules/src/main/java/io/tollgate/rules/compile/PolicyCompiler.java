package io.tollgate.rules.compile;

import io.tollgate.adapter.spi.Handler;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.Located;
import io.tollgate.common.config.YamlDocument;
import io.tollgate.common.config.YamlReader;
import io.tollgate.rules.EvaluationCounters;
import io.tollgate.rules.RuntimeOptions;
import io.tollgate.rules.cel.Expressions;
import io.tollgate.rules.config.HandlerConfig;
import io.tollgate.rules.config.InstanceConfig;
import io.tollgate.rules.config.PolicyDocuments;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.config.RuleConfig;
import io.tollgate.rules.dispatch.Dispatcher;
import io.tollgate.rules.dispatch.HandlerPools;
import io.tollgate.rules.engine.PolicyEngine;
import io.tollgate.rules.plugins.AdapterRegistry;
import io.tollgate.rules.plugins.LoadedAdapter;
import io.tollgate.rules.plugins.PluginLoader;
import io.tollgate.rules.snapshot.CompiledInstance;
import io.tollgate.rules.snapshot.CompiledRule;
import io.tollgate.rules.snapshot.HandlerEntry;
import io.tollgate.rules.snapshot.PolicySnapshot;
import io.tollgate.rules.snapshot.PreparedPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code PolicyCompiler} turns a policy directory into a {@link PolicySnapshot}, or into the
 * complete list of what is wrong with it. It reads every file, parses, type-checks every
 * expression, has each {@link PolicyEngine} (DRL, Rego) prepare its files, loads plugins and builds
 * handlers before anything is swapped in. It does, in order:
 *
 * <ol>
 *   <li>parse the YAML (policy documents and rate-limit configs); each engine prepares its files;
 *   <li>load the adapters, built-in and plugins;
 *   <li>build the handlers: an engine's adapter name goes to that engine, any other to an adapter;
 *   <li>compile the instances and
 *   <li>the rules (CEL, checked against the attribute vocabulary);
 *   <li>add each engine's rule for every request, after the configured ones.
 * </ol>
 *
 * <p>Handlers and what an engine prepared for the previous snapshot are reused when their config
 * and the files they read are unchanged. Not thread-safe: one runtime compiles on one thread at a
 * time.
 */
public final class PolicyCompiler {
  private final RuntimeOptions options;
  private final RuleCompiler ruleCompiler;
  private final HandlerBuilder handlerBuilder;
  private final List<LoadedAdapter> builtins;
  private final PluginLoader plugins;
  private final HandlerPools pools;
  private final EvaluationCounters counters;
  private final Map<String, PolicyEngine> engines = new LinkedHashMap<>();

  /**
   * The outcome of a compile: a snapshot, or errors; plus the fingerprint of the inputs, so a
   * failed input is not compiled again until it changes. A compile whose inputs changed while it
   * read them is neither: it is {@linkplain #unsettled() unsettled} and says nothing about them.
   *
   * @param snapshot the new version, or {@code null}
   * @param errors every problem, empty when there is a snapshot
   * @param fingerprint the inputs as they were read, {@code null} when unsettled
   */
  public record Result(
      PolicySnapshot snapshot, List<ConfigError> errors, Map<Path, String> fingerprint) {
    public static final Result UNSETTLED = new Result(null, List.of(), null);

    /** Whether the inputs changed during the compile, so it must be done again. */
    public boolean unsettled() {
      return fingerprint == null;
    }
  }

  public PolicyCompiler(
      RuntimeOptions options,
      List<LoadedAdapter> builtins,
      HandlerPools pools,
      EvaluationCounters counters,
      List<PolicyEngine> engines) {
    engines.forEach(e -> this.engines.put(e.adapter(), e));
    this.handlerBuilder = new HandlerBuilder(options, this.engines.keySet());
    this.ruleCompiler = new RuleCompiler(Expressions.create(), options.failClosedMatches());
    this.options = options;
    this.builtins = builtins;
    this.plugins = new PluginLoader(options.pluginsDir());
    this.pools = pools;
    this.counters = counters;
  }

  /** {@link PolicyInputs#fingerprint} of this compiler's directories. */
  public Map<Path, String> fingerprint(Map<Path, String> lastAttempt) {
    return PolicyInputs.fingerprint(
        options.policyDir(), this::engineOf, options.pluginsDir(), lastAttempt);
  }

  public Result compile(long version, PolicySnapshot previous) {
    Problems problems = new Problems();
    Path dir = options.policyDir();
    if (!Files.isDirectory(dir)) {
      problems.add(
          ConfigError.of(dir.toString(), "policy directory does not exist or is not a directory"));
      return new Result(null, problems.list(), Map.of());
    }
    PolicyFiles files;
    try {
      files = PolicyFiles.scan(dir, this::engineOf);
    } catch (IOException e) {
      problems.add(
          ConfigError.of(dir.toString(), "cannot read policy directory: " + e.getMessage()));
      return new Result(null, problems.list(), Map.of());
    }
    if (files.isEmpty() && !files.problems().isEmpty()) {
      problems.list().addAll(files.problems());
      return new Result(null, problems.list(), files.stamps());
    }
    if (files.isEmpty()) {
      problems.add(
          ConfigError.of(
              dir.toString(),
              "the policy directory has no policy files ("
                  + patterns()
                  + "); an empty policy would allow everything, so it is refused"));
      return new Result(null, problems.list(), files.stamps());
    }
    problems.list().addAll(files.problems());
    // Set when a file is read shorter or longer than it was stamped: caught mid-write.
    boolean[] torn = new boolean[1];

    // 1. Parse the YAML; each engine prepares its own files.
    PolicyDocuments docs = new PolicyDocuments(problems);
    Map<String, String> rateLimitSources = new LinkedHashMap<>();
    Map<String, String[]> lines = new HashMap<>();
    for (Path f : files.yaml()) {
      String rel = files.relative(f);
      String text = PolicyInputs.read(files, f, problems, torn);
      if (text == null) {
        continue;
      }
      lines.put(rel, text.split("\n", -1));
      List<YamlDocument> read =
          YamlReader.read(rel, text, PolicyDocuments.NOT_A_MAP, problems.list());
      if (!read.isEmpty() && PolicyDocuments.isRateLimitConfig(read.get(0))) {
        if (read.size() > 1) {
          problems.add(
              new ConfigError(
                  rel,
                  read.get(1).start().line(),
                  1,
                  "a rate-limit config file holds one document (one domain); put other documents in other files"));
        } else {
          rateLimitSources.put(rel, text);
        }
        continue;
      }
      for (YamlDocument d : read) {
        docs.add(d);
      }
    }
    Map<String, PreparedPolicy> prepared = prepareEngines(files, previous, problems, torn);
    Object rateLimits = null;
    if (!rateLimitSources.isEmpty()) {
      if (options.rateLimits() == null) {
        for (String f : rateLimitSources.keySet()) {
          problems.add(
              ConfigError.of(f, "a rate-limit config, but this runtime has no rate-limit service"));
        }
      } else {
        rateLimits = options.rateLimits().compile(rateLimitSources, problems.list());
      }
    }

    // 2. Adapters: built-ins and plugins.
    List<LoadedAdapter> all = new ArrayList<>(builtins);
    all.addAll(plugins.load(problems.list()));
    AdapterRegistry registry = AdapterRegistry.of(all, problems.list());

    // 3. Handlers: an engine's adapter name goes to the engine, any other to the adapters.
    Map<String, HandlerEntry> handlers = new LinkedHashMap<>();
    Map<String, YamlDocument> handlerDocs = new HashMap<>();
    Map<String, List<HandlerEntry>> engineHandlers = new HashMap<>();
    for (HandlerConfig hc : docs.handlers()) {
      if (duplicate("Handler", hc.name(), hc.doc(), handlerDocs, problems)) {
        continue;
      }
      PolicyEngine engine = engines.get(hc.adapter());
      HandlerEntry e =
          engine == null
              ? handlerBuilder.buildHandler(hc, registry, previous, problems)
              : engine.handler(hc, prepared.get(engine.adapter()), problems);
      e = HandlerBuilder.cached(hc, e, problems);
      if (e != null) {
        handlers.put(hc.name(), e);
        if (engine != null) {
          engineHandlers.computeIfAbsent(engine.adapter(), k -> new ArrayList<>()).add(e);
        }
      }
    }

    // 4. Instances.
    Map<String, CompiledInstance> instances = new HashMap<>();
    Map<String, YamlDocument> instanceDocs = new HashMap<>();
    for (InstanceConfig ic : docs.instances()) {
      if (duplicate("Instance", ic.name(), ic.doc(), instanceDocs, problems)) {
        continue;
      }
      CompiledInstance ci = ruleCompiler.compileInstance(ic, lines, problems);
      if (ci != null) {
        instances.put(ic.name(), ci);
      }
    }

    // 5. Rules.
    List<CompiledRule> rules = new ArrayList<>();
    Map<String, YamlDocument> ruleDocs = new HashMap<>();
    for (RuleConfig rc : docs.rules()) {
      if (duplicate("Rule", rc.name(), rc.doc(), ruleDocs, problems)) {
        continue;
      }
      CompiledRule r =
          ruleCompiler.compileRule(rc, handlers, instances, instanceDocs, lines, problems);
      if (r != null) {
        rules.add(r);
      }
    }

    // 6. Each engine's rule for every request, after the configured ones.
    for (PolicyEngine engine : engines.values()) {
      PreparedPolicy p = prepared.get(engine.adapter());
      CompiledRule global =
          p == null
              ? null
              : engine.globalRule(p, engineHandlers.getOrDefault(engine.adapter(), List.of()));
      if (global != null) {
        rules.add(global);
        for (CompiledRule.Action a : global.actions()) {
          handlers.putIfAbsent(a.handler().name(), a.handler());
        }
      }
    }

    // A version is made only of files that held still while they were read: else, read again.
    if (torn[0] || !PolicyInputs.settled(files, handlers)) {
      closeNew(handlers, previous);
      return Result.UNSETTLED;
    }
    if (!problems.isEmpty()) {
      closeNew(handlers, previous);
      return new Result(
          null, problems.list(), PolicyInputs.fingerprintOf(files, handlers, options.pluginsDir()));
    }
    List<String> names = new ArrayList<>();
    files.yaml().forEach(p -> names.add(files.relative(p)));
    files.engineFiles().values().forEach(l -> l.forEach(p -> names.add(files.relative(p))));
    names.sort(null);
    Map<Path, String> fp = PolicyInputs.fingerprintOf(files, handlers, options.pluginsDir());
    List<CompiledRule> ordered = List.copyOf(rules);
    return new Result(
        new PolicySnapshot(
            version,
            names,
            ordered,
            handlers,
            prepared,
            rateLimits,
            fp,
            new Dispatcher(version, ordered, pools, counters),
            counters),
        List.of(),
        fp);
  }

  /** Closes handlers built for a failed compile that the previous snapshot does not use. */
  private static void closeNew(Map<String, HandlerEntry> built, PolicySnapshot previous) {
    Set<Handler> keep = new HashSet<>();
    if (previous != null) {
      previous.handlers().values().forEach(h -> keep.add(h.handler()));
    }
    for (HandlerEntry h : built.values()) {
      if (!keep.contains(h.handler())) {
        closeQuietly(h.handler());
      }
    }
  }

  public static void closeQuietly(Handler h) {
    try {
      h.close();
    } catch (Exception e) {
      org.slf4j.LoggerFactory.getLogger(PolicyCompiler.class).warn("closing handler failed", e);
    }
  }

  private static boolean duplicate(
      String kind,
      String name,
      YamlDocument doc,
      Map<String, YamlDocument> seen,
      Problems problems) {
    YamlDocument first = seen.putIfAbsent(name, doc);
    if (first == null) {
      return false;
    }
    Located l = first.at("name");
    problems.at(
        doc,
        "name",
        "duplicate "
            + kind
            + " name '"
            + name
            + "' (first defined at "
            + first.file()
            + ":"
            + l.line()
            + ")");
    return true;
  }

  /**
   * Reads each engine's files and has it prepare them; an engine whose files were caught mid-write
   * prepares nothing (the compile is done again).
   */
  private Map<String, PreparedPolicy> prepareEngines(
      PolicyFiles files, PolicySnapshot previous, Problems problems, boolean[] torn) {
    Map<String, PreparedPolicy> prepared = new HashMap<>();
    for (PolicyEngine engine : engines.values()) {
      List<Path> own = files.engineFiles().getOrDefault(engine.adapter(), List.of());
      if (own.isEmpty()) {
        continue;
      }
      Map<String, String> sources = new LinkedHashMap<>();
      for (Path f : own) {
        String text = PolicyInputs.read(files, f, problems, torn);
        if (text != null) {
          sources.put(files.relative(f), text);
        }
      }
      if (torn[0] || sources.size() != own.size()) {
        continue;
      }
      PreparedPolicy p =
          engine.prepare(
              sources,
              previous == null ? null : previous.prepared().get(engine.adapter()),
              problems);
      if (p != null) {
        prepared.put(engine.adapter(), p);
      }
    }
    return prepared;
  }

  /** The policy file names, as messages show them: {@code *.yaml, *.yml, *.drl, *.rego}. */
  private String patterns() {
    StringBuilder b = new StringBuilder("*.yaml, *.yml");
    engines.values().forEach(e -> b.append(", ").append(e.filePattern()));
    return b.toString();
  }

  /** Which engine claims a file name, or {@code null}. */
  private String engineOf(String fileName) {
    for (PolicyEngine e : engines.values()) {
      if (e.reads(fileName)) {
        return e.adapter();
      }
    }
    return null;
  }
}
