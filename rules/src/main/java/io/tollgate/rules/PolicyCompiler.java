package io.tollgate.rules;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.ConfigErrors;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Params;
import io.tollgate.adapter.spi.ReportHandler;
import io.tollgate.adapter.spi.Template;
import io.tollgate.rules.cel.CompiledExpression;
import io.tollgate.rules.cel.ExpressionIssue;
import io.tollgate.rules.cel.Expressions;
import io.tollgate.rules.config.HandlerConfig;
import io.tollgate.rules.config.InstanceConfig;
import io.tollgate.rules.config.Located;
import io.tollgate.rules.config.PolicyDocuments;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.config.RuleConfig;
import io.tollgate.rules.config.YamlDocument;
import io.tollgate.rules.config.YamlReader;
import io.tollgate.rules.drools.DrlRuleBase;
import io.tollgate.rules.drools.DroolsHandler;
import io.tollgate.rules.plugins.AdapterRegistry;
import io.tollgate.rules.plugins.LoadedAdapter;
import io.tollgate.rules.plugins.PluginLoader;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.rules.rego.RegoHandler;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executor;

/**
 * {@code PolicyCompiler} turns a policy directory into a {@link PolicySnapshot}, or into the
 * complete list of what is wrong with it. It reads every file, parses, type-checks every
 * expression, compiles DRL, loads plugins and builds handlers before anything is swapped in.
 *
 * <p>Handlers and the DRL rule base of the previous snapshot are reused when their config and the
 * files they read are unchanged. Not thread-safe: one runtime compiles on one thread at a time.
 */
final class PolicyCompiler {
  private final PolicyRuntime.Options options;
  private final Expressions expressions = Expressions.create();
  private final List<LoadedAdapter> builtins;
  private final PluginLoader plugins;
  private final Executor blockingPool;
  private final EvaluationCounters counters;
  private final java.util.function.Supplier<RegoEngine> rego;
  private final boolean strict;

  /**
   * The outcome of a compile: a snapshot, or errors; plus the fingerprint of the inputs, so a
   * failed input is not compiled again until it changes. A compile whose inputs changed while it
   * read them is neither: it is {@linkplain #unsettled() unsettled} and says nothing about them.
   */
  record Result(PolicySnapshot snapshot, List<ConfigError> errors, Map<Path, String> fingerprint) {
    static final Result UNSETTLED = new Result(null, List.of(), null);

    /** Whether the inputs changed during the compile, so it must be done again. */
    boolean unsettled() {
      return fingerprint == null;
    }
  }

  PolicyCompiler(
      PolicyRuntime.Options options,
      List<LoadedAdapter> builtins,
      Executor blockingPool,
      EvaluationCounters counters,
      java.util.function.Supplier<RegoEngine> rego,
      boolean strict) {
    this.rego = rego;
    this.strict = strict;
    this.options = options;
    this.builtins = builtins;
    this.plugins = new PluginLoader(options.pluginsDir());
    this.blockingPool = blockingPool;
    this.counters = counters;
  }

  /**
   * Stamps of every input as they are now: the policy files, the plugin jars, and every file the
   * last attempt read (so a handler's list file outside the directory is watched too).
   */
  Map<Path, String> fingerprint(Map<Path, String> lastAttempt) {
    Map<Path, String> f = new HashMap<>();
    for (Path p : lastAttempt.keySet()) {
      f.put(p, PolicyFiles.stamp(p));
    }
    try {
      f.putAll(PolicyFiles.scan(options.policyDir()).stamps());
    } catch (IOException e) {
      f.put(options.policyDir(), "unreadable");
    }
    addPlugins(f);
    return f;
  }

  private void addPlugins(Map<Path, String> f) {
    if (options.pluginsDir() != null) {
      try (var s = Files.list(options.pluginsDir())) {
        s.filter(p -> p.toString().endsWith(".jar")).forEach(p -> f.put(p, PolicyFiles.stamp(p)));
      } catch (IOException e) {
        f.put(options.pluginsDir(), "unreadable");
      }
    }
  }

  Result compile(long version, PolicySnapshot previous) {
    Problems problems = new Problems();
    Path dir = options.policyDir();
    if (!Files.isDirectory(dir)) {
      problems.add(
          ConfigError.of(dir.toString(), "policy directory does not exist or is not a directory"));
      return new Result(null, problems.list(), Map.of());
    }
    PolicyFiles files;
    try {
      files = PolicyFiles.scan(dir);
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
              "the policy directory has no policy files (*.yaml, *.yml, *.drl, *.rego); an empty policy"
                  + " would allow everything, so it is refused"));
      return new Result(null, problems.list(), files.stamps());
    }
    problems.list().addAll(files.problems());
    // Set when a file is read shorter or longer than it was stamped: caught mid-write.
    boolean[] torn = new boolean[1];

    // 1. Parse everything.
    PolicyDocuments docs = new PolicyDocuments(problems);
    Map<String, String> rateLimitSources = new LinkedHashMap<>();
    Map<String, String[]> lines = new HashMap<>();
    for (Path f : files.yaml()) {
      String rel = files.relative(f);
      String text = read(files, f, problems, torn);
      if (text == null) {
        continue;
      }
      lines.put(rel, text.split("\n", -1));
      List<YamlDocument> read = YamlReader.read(rel, text, problems.list());
      if (!read.isEmpty() && PolicyDocuments.isRateLimitConfig(read.get(0))) {
        if (read.size() > 1) {
          problems.add(
              new ConfigError(
                  rel,
                  read.get(1).start().line(),
                  1,
                  "a rate-limit config file holds one document (one domain); put other documents in other files"));
        }
        rateLimitSources.put(rel, text);
        continue;
      }
      for (YamlDocument d : read) {
        docs.add(d);
      }
    }
    Map<String, String> drlSources = new LinkedHashMap<>();
    for (Path f : files.drl()) {
      String rel = files.relative(f);
      String text = read(files, f, problems, torn);
      if (text != null) {
        drlSources.put(rel, text);
      }
    }
    DrlRuleBase drl = null;
    if (!drlSources.isEmpty()) {
      if (previous != null
          && previous.drl() != null
          && previous.drl().sources().equals(drlSources)) {
        drl = previous.drl();
      } else {
        drl = DrlRuleBase.compile(drlSources, problems.list());
      }
    }

    RegoEngine.Bundle bundle = torn[0] ? null : rego(files, previous, problems, torn);
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

    // 3. Handlers.
    Map<String, HandlerEntry> handlers = new LinkedHashMap<>();
    Map<String, YamlDocument> handlerDocs = new HashMap<>();
    Set<String> claimedPackages = new HashSet<>();
    boolean allClaimed = false;
    boolean regoHandlers = false;
    for (HandlerConfig hc : docs.handlers()) {
      if (duplicate("Handler", hc.name(), hc.doc(), handlerDocs, problems)) {
        continue;
      }
      if (RegoHandler.ADAPTER.equals(hc.adapter())) {
        regoHandlers = true;
        HandlerEntry e = cached(hc, regoHandler(hc, bundle, problems), problems);
        if (e != null) {
          handlers.put(hc.name(), e);
        }
        continue;
      }
      if (DroolsHandler.ADAPTER.equals(hc.adapter())) {
        HandlerEntry e = droolsHandler(hc, drl, problems);
        if (e != null) {
          handlers.put(hc.name(), e);
          DroolsHandler d = (DroolsHandler) e.handler();
          if (d.packages() == null) {
            allClaimed = true;
          } else {
            claimedPackages.addAll(d.packages());
          }
        }
        continue;
      }
      HandlerEntry e = cached(hc, buildHandler(hc, registry, previous, problems), problems);
      if (e != null) {
        handlers.put(hc.name(), e);
      }
    }

    // 4. Instances.
    Map<String, CompiledInstance> instances = new HashMap<>();
    Map<String, YamlDocument> instanceDocs = new HashMap<>();
    for (InstanceConfig ic : docs.instances()) {
      if (duplicate("Instance", ic.name(), ic.doc(), instanceDocs, problems)) {
        continue;
      }
      CompiledInstance ci = compileInstance(ic, lines, problems);
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
      CompiledRule r = compileRule(rc, handlers, instances, instanceDocs, lines, problems);
      if (r != null) {
        rules.add(r);
      }
    }

    // 6. DRL packages no handler claims run for every request.
    if (drl != null && !allClaimed) {
      Set<String> global = new TreeSet<>(drl.packages());
      global.removeAll(claimedPackages);
      if (!global.isEmpty()) {
        HandlerEntry e =
            new HandlerEntry(
                "drools",
                DroolsHandler.ADAPTER,
                Set.of("checknothing"),
                new DroolsHandler(drl, global),
                false,
                options.blockingTimeout(),
                "drools:global",
                Map.of());
        rules.add(
            new CompiledRule(
                "",
                null,
                List.of(new CompiledRule.Action(e, List.of(CompiledInstance.NOTHING))),
                List.of(),
                List.of()));
        handlers.putIfAbsent("drools", e);
      }
    }

    // 7. Without rego handlers, an OPA-Envoy policy (package envoy.authz) decides every request.
    if (bundle != null && !regoHandlers && bundle.declares(OPA_ENVOY_DECISION)) {
      HandlerEntry e =
          new HandlerEntry(
              "rego",
              RegoHandler.ADAPTER,
              Set.of("checknothing"),
              new RegoHandler(rego.get(), bundle, OPA_ENVOY_DECISION),
              false,
              options.regoTimeout(),
              "rego:global",
              Map.of());
      rules.add(
          new CompiledRule(
              OPA_ENVOY_DECISION,
              null,
              List.of(new CompiledRule.Action(e, List.of(CompiledInstance.NOTHING))),
              List.of(),
              List.of()));
      handlers.putIfAbsent("rego", e);
    }

    // A version is made only of files that held still while they were read: else, read again.
    if (torn[0] || !settled(files, handlers)) {
      closeNew(handlers, previous);
      return Result.UNSETTLED;
    }
    if (!problems.isEmpty()) {
      closeNew(handlers, previous);
      return new Result(null, problems.list(), fingerprintOf(files, handlers));
    }
    List<String> names = new ArrayList<>();
    files.yaml().forEach(p -> names.add(files.relative(p)));
    files.drl().forEach(p -> names.add(files.relative(p)));
    files.rego().forEach(p -> names.add(files.relative(p)));
    files.data().forEach(p -> names.add(files.relative(p)));
    names.sort(null);
    Map<Path, String> fp = fingerprintOf(files, handlers);
    return new Result(
        new PolicySnapshot(
            version, names, rules, handlers, drl, bundle, rateLimits, fp, blockingPool, counters),
        List.of(),
        fp);
  }

  /** Whether every input is as it was stamped before it was read: no file changed, came or went. */
  private static boolean settled(PolicyFiles files, Map<String, HandlerEntry> handlers) {
    try {
      if (!PolicyFiles.scan(files.dir()).stamps().equals(files.stamps())) {
        return false;
      }
    } catch (IOException e) {
      return false;
    }
    return handlers.values().stream().allMatch(h -> unchanged(h.fileStamps()));
  }

  private Map<Path, String> fingerprintOf(PolicyFiles files, Map<String, HandlerEntry> handlers) {
    Map<Path, String> f = new HashMap<>(files.stamps());
    addPlugins(f);
    for (HandlerEntry h : handlers.values()) {
      f.putAll(h.fileStamps());
    }
    return f;
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

  static void closeQuietly(Handler h) {
    try {
      h.close();
    } catch (Exception e) {
      org.slf4j.LoggerFactory.getLogger(PolicyCompiler.class).warn("closing handler failed", e);
    }
  }

  /**
   * The text of policy file {@code f}; {@code null} when unreadable (a problem) or torn (flagged).
   */
  private static String read(PolicyFiles files, Path f, Problems problems, boolean[] torn) {
    String rel = files.relative(f);
    try {
      byte[] bytes = Files.readAllBytes(f);
      Long stamped = files.sizes().get(f);
      if (stamped != null && stamped != bytes.length) {
        torn[0] = true;
        return null;
      }
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      problems.add(ConfigError.of(rel, "file is not valid UTF-8"));
    } catch (IOException e) {
      problems.add(ConfigError.of(rel, "cannot read: " + e.getMessage()));
    }
    return null;
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

  /** The decision OPA-Envoy asks for by default. */
  static final String OPA_ENVOY_DECISION = "envoy.authz.allow";

  /**
   * Reads the Rego modules and data documents and uploads them to OPA; null when there are none.
   */
  private RegoEngine.Bundle rego(
      PolicyFiles files, PolicySnapshot previous, Problems problems, boolean[] torn) {
    if (files.rego().isEmpty()) {
      for (Path d : files.data()) {
        problems.add(
            ConfigError.of(
                files.relative(d),
                "a Rego data document, but the policy has no .rego files to use it (rename it if it is not data)"));
      }
      return null;
    }
    Map<String, String> sources = new LinkedHashMap<>();
    for (Path f : files.rego()) {
      String rel = files.relative(f);
      String text = read(files, f, problems, torn);
      if (text != null) {
        sources.put(rel, text);
      }
    }
    Map<String, Object> data = new LinkedHashMap<>();
    for (Path f : files.data()) {
      String rel = files.relative(f);
      String text = read(files, f, problems, torn);
      if (text == null) {
        continue;
      }
      try {
        data.put(
            rel,
            rel.endsWith(".json")
                ? new com.fasterxml.jackson.databind.ObjectMapper().readValue(text, Object.class)
                : new org.yaml.snakeyaml.Yaml(
                        new org.yaml.snakeyaml.constructor.SafeConstructor(
                            new org.yaml.snakeyaml.LoaderOptions()))
                    .load(text));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        var l = e.getLocation();
        problems.add(
            new ConfigError(
                rel,
                l == null ? 0 : l.getLineNr(),
                l == null ? 0 : l.getColumnNr(),
                "not valid JSON: " + e.getOriginalMessage()));
      } catch (org.yaml.snakeyaml.error.MarkedYAMLException e) {
        var m = e.getProblemMark();
        problems.add(
            new ConfigError(
                rel,
                m == null ? 0 : m.getLine() + 1,
                m == null ? 0 : m.getColumn() + 1,
                "not valid YAML: " + e.getProblem()));
      } catch (org.yaml.snakeyaml.error.YAMLException e) {
        problems.add(ConfigError.of(rel, "not valid YAML: " + e.getMessage()));
      }
    }
    if (torn[0] || sources.size() != files.rego().size() || data.size() != files.data().size()) {
      return null;
    }
    RegoEngine.Prepared p =
        rego.get().prepare(sources, data, previous == null ? null : previous.rego(), strict);
    problems.list().addAll(p.errors());
    return p.bundle();
  }

  private HandlerEntry regoHandler(HandlerConfig hc, RegoEngine.Bundle bundle, Problems problems) {
    for (String k : hc.params().keySet()) {
      if (!k.equals("query")) {
        problems.atKey(
            hc.doc(), "params." + k, "unknown param '" + k + "'; the rego adapter takes [query]");
      }
    }
    Object q = hc.params().get("query");
    if (!(q instanceof String query) || query.isBlank()) {
      problems.at(
          hc.doc(),
          "params",
          "handler '"
              + hc.name()
              + "' (adapter rego) needs params.query: the Rego document that decides, e.g. envoy.authz.allow");
      return null;
    }
    if (bundle == null) {
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
        new RegoHandler(rego.get(), bundle, query.replace('/', '.')),
        hc.failOpen(),
        hc.timeout() != null ? hc.timeout() : options.regoTimeout(),
        "rego:" + query,
        Map.of());
  }

  /** Gives {@code e} the decision cache its config asks for, if its handler allows one. */
  private static HandlerEntry cached(HandlerConfig hc, HandlerEntry e, Problems problems) {
    if (e == null || hc.cache() == null) {
      return e;
    }
    if (e.checkHandler() == null || !e.checkHandler().cacheable()) {
      problems.atKey(
          hc.doc(),
          "cache",
          "handler '"
              + hc.name()
              + "' (adapter "
              + hc.adapter()
              + ") does not declare its results cacheable; remove 'cache'");
      return e;
    }
    return e.withCache(new DecisionCache(hc.cache()));
  }

  private HandlerEntry droolsHandler(HandlerConfig hc, DrlRuleBase drl, Problems problems) {
    Set<String> packages = null;
    for (String k : hc.params().keySet()) {
      if (!k.equals("packages")) {
        problems.atKey(
            hc.doc(),
            "params." + k,
            "unknown param '" + k + "'; the drools adapter takes [packages]");
      }
    }
    Object p = hc.params().get("packages");
    if (p instanceof List<?> l) {
      packages = new TreeSet<>();
      for (Object o : l) {
        packages.add(String.valueOf(o));
      }
    } else if (p != null) {
      problems.at(hc.doc(), "params.packages", "packages must be a list of DRL package names");
    }
    if (drl == null) {
      problems.at(
          hc.doc(),
          "adapter",
          "handler '" + hc.name() + "' uses drools, but the policy has no valid .drl files");
      return null;
    }
    if (packages != null) {
      for (String pkg : packages) {
        if (!drl.packages().contains(pkg)) {
          problems.at(
              hc.doc(),
              "params.packages",
              "no DRL rules in package '" + pkg + "'; packages with rules: " + drl.packages());
        }
      }
    }
    return new HandlerEntry(
        hc.name(),
        DroolsHandler.ADAPTER,
        Set.of("checknothing", "authorization"),
        new DroolsHandler(drl, packages),
        hc.failOpen(),
        hc.timeout() != null ? hc.timeout() : options.blockingTimeout(),
        "drools:" + packages,
        Map.of());
  }

  private HandlerEntry buildHandler(
      HandlerConfig hc, AdapterRegistry registry, PolicySnapshot previous, Problems problems) {
    LoadedAdapter la = registry.get(hc.adapter());
    if (la == null) {
      Set<String> known = new TreeSet<>(registry.names());
      known.add(DroolsHandler.ADAPTER);
      known.add(RegoHandler.ADAPTER);
      problems.at(
          hc.doc(),
          "adapter",
          "unknown adapter '"
              + hc.adapter()
              + "'; available adapters: "
              + known
              + " (plugins go in the plugins directory)");
      return null;
    }
    Adapter adapter = la.adapter();
    String key =
        hc.adapter()
            + "|"
            + la.origin()
            + "|"
            + System.identityHashCode(adapter)
            + "|"
            + hc.params();
    if (previous != null) {
      HandlerEntry old = previous.handlers().get(hc.name());
      if (old != null && old.reuseKey().equals(key) && unchanged(old.fileStamps())) {
        return new HandlerEntry(
                hc.name(),
                old.adapter(),
                old.templates(),
                old.handler(),
                hc.failOpen(),
                hc.timeout() != null ? hc.timeout() : options.blockingTimeout(),
                key,
                old.fileStamps())
            .withQuarantine(old.quarantine());
      }
    }
    int before = problems.size();
    ConfigErrors errors =
        new ConfigErrors() {
          private boolean any;

          @Override
          public void add(String field, String message) {
            any = true;
            String path = field == null || field.isEmpty() ? "params" : "params." + field;
            problems.at(
                hc.doc(),
                path,
                "handler '"
                    + hc.name()
                    + "' (adapter "
                    + hc.adapter()
                    + "): "
                    + (field == null || field.isEmpty() ? "" : field + ": ")
                    + message);
          }

          @Override
          public boolean isEmpty() {
            return !any;
          }
        };
    Map<Path, String> stamps = new HashMap<>();
    List<String> refused = new ArrayList<>();
    HandlerSpec spec =
        new HandlerSpec(
            hc.name(),
            new Params(hc.params(), errors),
            options.policyDir(),
            p -> {
              try {
                PolicyFiles.inside(options.policyDir(), p);
              } catch (PolicyFiles.OutsideException e) {
                refused.add(e.getMessage());
                throw e;
              }
              stamps.put(p, PolicyFiles.stamp(p));
            },
            options.quotas(),
            options.services());
    Handler h = null;
    Set<String> templates = Set.of();
    Throwable failed = null;
    try {
      templates = Set.copyOf(adapter.templates());
      h = adapter.build(spec);
    } catch (Exception | LinkageError e) {
      failed = e;
    }
    if (!refused.isEmpty()) {
      // Whatever the adapter made of the refusal, the handler is not built.
      for (String r : refused) {
        problems.at(
            hc.doc(), "params", "handler '" + hc.name() + "' (adapter " + hc.adapter() + "): " + r);
      }
      if (h != null) {
        closeQuietly(h);
      }
      return null;
    }
    if (failed != null) {
      problems.at(
          hc.doc(),
          "adapter",
          "adapter '"
              + hc.adapter()
              + "' ("
              + la.origin()
              + ") failed to build handler '"
              + hc.name()
              + "': "
              + failed);
      return null;
    }
    if (problems.size() > before || h == null) {
      if (h != null) {
        closeQuietly(h);
      } else if (problems.size() == before) {
        problems.at(hc.doc(), "adapter", "adapter '" + hc.adapter() + "' built no handler");
      }
      return null;
    }
    if (!(h instanceof CheckHandler) && !(h instanceof ReportHandler)) {
      problems.at(
          hc.doc(),
          "adapter",
          "adapter '" + hc.adapter() + "' makes handlers that neither decide nor report");
      closeQuietly(h);
      return null;
    }
    return new HandlerEntry(
        hc.name(),
        hc.adapter(),
        templates,
        h,
        hc.failOpen(),
        hc.timeout() != null ? hc.timeout() : options.blockingTimeout(),
        key,
        Map.copyOf(stamps));
  }

  private static boolean isReport(String template) {
    Template t = Template.byName(template);
    return t != null && t.isReport();
  }

  private static boolean unchanged(Map<Path, String> stamps) {
    for (Map.Entry<Path, String> e : stamps.entrySet()) {
      if (!PolicyFiles.stamp(e.getKey()).equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }

  private CompiledInstance compileInstance(
      InstanceConfig ic, Map<String, String[]> lines, Problems problems) {
    Template t = Template.byName(ic.template());
    if (t == null) {
      problems.at(
          ic.doc(),
          "template",
          "unknown template '"
              + ic.template()
              + "'; templates: "
              + new TreeSet<>(Template.names()));
      return null;
    }
    int before = problems.size();
    Map<String, CompiledExpression> fields = new LinkedHashMap<>();
    Map<String, Map<String, CompiledExpression>> mapFields = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : ic.params().entrySet()) {
      String field = e.getKey();
      String path = "params." + field;
      AttributeType type = t.fields().get(field);
      if (type == null) {
        problems.atKey(
            ic.doc(),
            path,
            "template '"
                + t.name()
                + "' has no field '"
                + field
                + "'; fields: "
                + t.fields().keySet());
        continue;
      }
      if (type == AttributeType.DYN_MAP) {
        if (!(e.getValue() instanceof Map<?, ?> m)) {
          problems.at(ic.doc(), path, "field '" + field + "' is a map of name to expression");
          continue;
        }
        Map<String, CompiledExpression> compiled = new LinkedHashMap<>();
        for (Map.Entry<?, ?> me : m.entrySet()) {
          CompiledExpression ce =
              expression(
                  ic.doc(),
                  path + "." + me.getKey(),
                  me.getValue(),
                  AttributeType.DYN,
                  lines,
                  problems);
          if (ce != null) {
            compiled.put(String.valueOf(me.getKey()), ce);
          }
        }
        mapFields.put(field, compiled);
        continue;
      }
      CompiledExpression ce = expression(ic.doc(), path, e.getValue(), type, lines, problems);
      if (ce != null) {
        fields.put(field, ce);
      }
    }
    for (String r : t.required()) {
      if (!ic.params().containsKey(r)) {
        problems.at(ic.doc(), "params", "template '" + t.name() + "' requires field '" + r + "'");
      }
    }
    return problems.size() > before
        ? null
        : new CompiledInstance(ic.name(), t.name(), fields, mapFields);
  }

  private CompiledRule compileRule(
      RuleConfig rc,
      Map<String, HandlerEntry> handlers,
      Map<String, CompiledInstance> instances,
      Map<String, YamlDocument> instanceDocs,
      Map<String, String[]> lines,
      Problems problems) {
    int before = problems.size();
    CompiledExpression match =
        rc.match() == null
            ? null
            : expression(rc.doc(), "match", rc.match(), AttributeType.BOOL, lines, problems);
    List<CompiledRule.Action> actions = new ArrayList<>();
    List<CompiledRule.Action> reportActions = new ArrayList<>();
    for (RuleConfig.Action a : rc.actions()) {
      HandlerEntry h = handlers.get(a.handler());
      if (h == null) {
        problems.at(
            rc.doc(),
            a.path() + ".handler",
            "rule '"
                + rc.name()
                + "' names handler '"
                + a.handler()
                + "', which is not defined"
                + (handlers.isEmpty() ? "" : "; handlers: " + new TreeSet<>(handlers.keySet())));
        continue;
      }
      List<CompiledInstance> cis = new ArrayList<>();
      if (a.instances().isEmpty()) {
        if (!h.templates().contains("checknothing")) {
          problems.at(
              rc.doc(),
              a.path(),
              "handler '"
                  + h.name()
                  + "' (adapter "
                  + h.adapter()
                  + ") needs instances of "
                  + new TreeSet<>(h.templates()));
        }
        cis.add(CompiledInstance.NOTHING);
      }
      for (int i = 0; i < a.instances().size(); i++) {
        String in = a.instances().get(i);
        String path = a.path() + ".instances[" + i + "]";
        CompiledInstance ci = instances.get(in);
        if (ci == null) {
          if (!instanceDocs.containsKey(in)) {
            problems.at(
                rc.doc(),
                path,
                "rule '" + rc.name() + "' names instance '" + in + "', which is not defined");
          }
          continue;
        }
        if (!h.templates().contains(ci.template())) {
          problems.at(
              rc.doc(),
              path,
              "handler '"
                  + h.name()
                  + "' (adapter "
                  + h.adapter()
                  + ") does not accept template '"
                  + ci.template()
                  + "' of instance '"
                  + in
                  + "'; it accepts "
                  + new TreeSet<>(h.templates()));
          continue;
        }
        cis.add(ci);
      }
      // Report instances go to report handlers after the request; the rest decide it.
      List<CompiledInstance> report = cis.stream().filter(ci -> isReport(ci.template())).toList();
      List<CompiledInstance> check = cis.stream().filter(ci -> !isReport(ci.template())).toList();
      if (!report.isEmpty()) {
        if (h.handler() instanceof ReportHandler) {
          reportActions.add(new CompiledRule.Action(h, report));
        } else {
          problems.at(
              rc.doc(),
              a.path(),
              "handler '"
                  + h.name()
                  + "' (adapter "
                  + h.adapter()
                  + ") does not report; metric and logentry instances need a report handler such as prometheus or accesslog");
        }
      }
      if (!check.isEmpty()) {
        if (h.checkHandler() != null) {
          actions.add(new CompiledRule.Action(h, check));
        } else {
          problems.at(
              rc.doc(),
              a.path(),
              "handler '"
                  + h.name()
                  + "' (adapter "
                  + h.adapter()
                  + ") only reports; send it metric or logentry instances");
        }
      }
    }
    List<CompiledRule.HeaderTemplate> req =
        headerTemplates(
            rc, "requestHeaderOperations", rc.requestHeaderOperations(), lines, problems);
    List<CompiledRule.HeaderTemplate> resp =
        headerTemplates(
            rc, "responseHeaderOperations", rc.responseHeaderOperations(), lines, problems);
    if (problems.size() > before) {
      return null;
    }
    return new CompiledRule(rc.name(), match, actions, reportActions, req, resp);
  }

  private List<CompiledRule.HeaderTemplate> headerTemplates(
      RuleConfig rc,
      String field,
      List<RuleConfig.HeaderOperation> ops,
      Map<String, String[]> lines,
      Problems problems) {
    List<CompiledRule.HeaderTemplate> out = new ArrayList<>();
    for (RuleConfig.HeaderOperation op : ops) {
      List<CompiledExpression> values = new ArrayList<>();
      for (int i = 0; i < op.values().size(); i++) {
        CompiledExpression ce =
            expression(
                rc.doc(),
                op.path() + ".values[" + i + "]",
                op.values().get(i),
                AttributeType.DYN,
                lines,
                problems);
        if (ce != null) {
          values.add(ce);
        }
      }
      HeaderOp.Op kind;
      try {
        kind = HeaderOp.Op.valueOf(op.operation());
      } catch (IllegalArgumentException e) {
        continue; // already reported by PolicyDocuments
      }
      out.add(new CompiledRule.HeaderTemplate(kind, op.name(), values));
    }
    return out;
  }

  /** Compiles an expression, reporting issues at their place in the file. */
  private CompiledExpression expression(
      YamlDocument doc,
      String path,
      Object value,
      AttributeType type,
      Map<String, String[]> lines,
      Problems problems) {
    if (!(value instanceof String text)) {
      if (value instanceof Number || value instanceof Boolean) {
        return expression(doc, path, String.valueOf(value), type, lines, problems);
      }
      problems.at(doc, path, "expected a CEL expression string");
      return null;
    }
    Expressions.Result r = expressions.compile(text, type);
    if (r.ok()) {
      return r.expression();
    }
    Located start = doc.at(path);
    for (ExpressionIssue i : r.issues()) {
      int line;
      int col;
      switch (doc.styleAt(path)) {
        case QUOTED -> {
          line = start.line() + i.line() - 1;
          col = i.line() == 1 && i.column() > 0 ? start.column() + i.column() : i.column();
        }
        case BLOCK -> {
          line = start.line() + i.line();
          String[] fileLines = lines.get(doc.file());
          int indent = 0;
          if (fileLines != null && line - 1 < fileLines.length) {
            String l = fileLines[line - 1];
            while (indent < l.length() && l.charAt(indent) == ' ') {
              indent++;
            }
          }
          col = i.column() > 0 ? indent + i.column() : 0;
        }
        default -> {
          line = start.line() + i.line() - 1;
          col = i.line() == 1 && i.column() > 0 ? start.column() + i.column() - 1 : i.column();
        }
      }
      problems.add(new ConfigError(doc.file(), line, col, "CEL: " + explain(i.message(), text, i)));
    }
    return null;
  }

  /** Rewrites CEL's "undeclared reference to 'request'" as the unknown attribute it is. */
  private static String explain(String message, String text, ExpressionIssue i) {
    if (!message.startsWith("undeclared reference to") || i.column() <= 0) {
      return message;
    }
    String[] ls = text.split("\n", -1);
    if (i.line() - 1 >= ls.length) {
      return message;
    }
    String l = ls[i.line() - 1];
    int s = i.column() - 1;
    int e = s;
    while (e < l.length()
        && (Character.isLetterOrDigit(l.charAt(e)) || l.charAt(e) == '_' || l.charAt(e) == '.')) {
      e++;
    }
    String ident = l.substring(Math.min(s, l.length()), e);
    if (ident.contains(".")) {
      // Keep only the prefix that could be an attribute: up to a method call such as .startsWith(.
      if (e < l.length() && l.charAt(e) == '(') {
        ident = ident.substring(0, ident.lastIndexOf('.'));
      }
      return "unknown attribute '" + ident + "' (see the attribute vocabulary in the README)";
    }
    return message;
  }
}
