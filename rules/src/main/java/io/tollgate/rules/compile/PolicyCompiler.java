package io.tollgate.rules.compile;

import io.tollgate.adapter.spi.Handler;
import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.EvaluationCounters;
import io.tollgate.rules.RuntimeOptions;
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
import io.tollgate.rules.rego.RegoBundle;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.rules.rego.RegoHandler;
import io.tollgate.rules.snapshot.CompiledInstance;
import io.tollgate.rules.snapshot.CompiledRule;
import io.tollgate.rules.snapshot.HandlerEntry;
import io.tollgate.rules.snapshot.PolicySnapshot;
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
public final class PolicyCompiler {
  private final RuntimeOptions options;
  private final RuleCompiler ruleCompiler = new RuleCompiler(Expressions.create());
  private final HandlerBuilder handlerBuilder;
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
      Executor blockingPool,
      EvaluationCounters counters,
      java.util.function.Supplier<RegoEngine> rego,
      boolean strict) {
    this.rego = rego;
    this.handlerBuilder = new HandlerBuilder(options, rego);
    this.strict = strict;
    this.options = options;
    this.builtins = builtins;
    this.plugins = new PluginLoader(options.pluginsDir());
    this.blockingPool = blockingPool;
    this.counters = counters;
  }

  /** {@link PolicyInputs#fingerprint} of this compiler's directories. */
  public Map<Path, String> fingerprint(Map<Path, String> lastAttempt) {
    return PolicyInputs.fingerprint(options.policyDir(), options.pluginsDir(), lastAttempt);
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
      String text = PolicyInputs.read(files, f, problems, torn);
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
      String text = PolicyInputs.read(files, f, problems, torn);
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

    RegoBundle bundle =
        torn[0] ? null : RegoFiles.prepare(files, previous, problems, torn, rego, strict);
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
        HandlerEntry e =
            HandlerBuilder.cached(hc, handlerBuilder.regoHandler(hc, bundle, problems), problems);
        if (e != null) {
          handlers.put(hc.name(), e);
        }
        continue;
      }
      if (DroolsHandler.ADAPTER.equals(hc.adapter())) {
        HandlerEntry e = handlerBuilder.droolsHandler(hc, drl, problems);
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
      HandlerEntry e =
          HandlerBuilder.cached(
              hc, handlerBuilder.buildHandler(hc, registry, previous, problems), problems);
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
    files.drl().forEach(p -> names.add(files.relative(p)));
    files.rego().forEach(p -> names.add(files.relative(p)));
    files.data().forEach(p -> names.add(files.relative(p)));
    names.sort(null);
    Map<Path, String> fp = PolicyInputs.fingerprintOf(files, handlers, options.pluginsDir());
    return new Result(
        new PolicySnapshot(
            version, names, rules, handlers, drl, bundle, rateLimits, fp, blockingPool, counters),
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

  /** The decision OPA-Envoy asks for by default. */
  public static final String OPA_ENVOY_DECISION = "envoy.authz.allow";
}
