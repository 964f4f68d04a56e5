package io.tollgate.rules.drools;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.engine.RuleSetHandler.Verdict;
import io.tollgate.rules.snapshot.PreparedPolicy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.drools.drl.parser.ParserError;
import org.drools.kiesession.rulebase.InternalKnowledgeBase;
import org.drools.kiesession.rulebase.KnowledgeBaseFactory;
import org.kie.api.definition.KiePackage;
import org.kie.api.event.rule.AfterMatchFiredEvent;
import org.kie.api.event.rule.DefaultAgendaEventListener;
import org.kie.api.io.ResourceType;
import org.kie.api.runtime.KieSession;
import org.kie.api.runtime.rule.AgendaFilter;
import org.kie.internal.builder.KnowledgeBuilder;
import org.kie.internal.builder.KnowledgeBuilderFactory;
import org.kie.internal.builder.KnowledgeBuilderResult;
import org.kie.internal.builder.ResultSeverity;
import org.kie.internal.io.ResourceFactory;

/**
 * {@code DrlRuleBase} is the compiled form of every {@code .drl} file of one policy version.
 * Immutable after construction and thread-safe: each evaluation opens its own session.
 */
public final class DrlRuleBase implements PreparedPolicy {
  private static final Pattern LINE_COL = Pattern.compile("\\[(\\d+),(\\d+)\\]|Line (\\d+):(\\d+)");

  private final InternalKnowledgeBase base;
  private final Set<String> packages;
  private final Map<String, String> sources;

  /** Sessions are reused: creating one per check costs more than evaluating the rules. */
  private final org.kie.api.runtime.KieSessionsPool sessions;

  private DrlRuleBase(
      InternalKnowledgeBase base, Set<String> packages, Map<String, String> sources) {
    this.sessions = base.newKieSessionsPool(Runtime.getRuntime().availableProcessors() * 2);
    this.base = base;
    this.packages = packages;
    this.sources = sources;
  }

  /**
   * Compiles {@code sources} (file name to DRL text) once {@link DrlSandbox} has found nothing in
   * them that DRL may not use. Problems go to {@code errors} with file, line and column; returns
   * {@code null} if there were any.
   */
  public static DrlRuleBase compile(Map<String, String> sources, List<ConfigError> errors) {
    // Nothing of a file is compiled before all of them pass the allow-list.
    List<ConfigError> refused = DrlSandbox.check(sources);
    if (!refused.isEmpty()) {
      errors.addAll(refused);
      return null;
    }
    KnowledgeBuilder builder = KnowledgeBuilderFactory.newKnowledgeBuilder();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      var resource =
          ResourceFactory.newByteArrayResource(e.getValue().getBytes(StandardCharsets.UTF_8));
      resource.setSourcePath(e.getKey());
      try {
        builder.add(resource, ResourceType.DRL);
      } catch (RuntimeException crash) {
        // Drools reports most problems as results, but throws for some (an unknown str[...]
        // operation): refused like any other problem, the last good version keeps serving.
        errors.add(crashError(e.getKey(), e.getValue(), crash));
        return null;
      }
      if (builder.hasErrors()) {
        List<ConfigError> found = new java.util.ArrayList<>();
        for (KnowledgeBuilderResult r : builder.getResults(ResultSeverity.ERROR)) {
          found.add(toError(e.getKey(), r));
        }
        // Drools adds an unlocated "Parser returned a null Package" after real parse errors.
        if (found.size() > 1) {
          found.removeIf(c -> c.line() == 0 && c.message().contains("null Package"));
        }
        errors.addAll(found);
        return null;
      }
    }
    // Constraints stay interpreted: Drools 10.2 compiles a constraint with an operator such as
    // str[startsWith] or matches to bytecode after 20 evaluations, and the compiled form fails
    // with NoSuchMethodError (EvaluatorHelper.initOperators). DroolsTest covers it.
    org.kie.api.KieBaseConfiguration conf =
        org.kie.api.KieServices.Factory.get().newKieBaseConfiguration();
    conf.setOption(org.kie.internal.conf.ConstraintJittingThresholdOption.get(-1));
    InternalKnowledgeBase base = KnowledgeBaseFactory.newKnowledgeBase(conf);
    base.addPackages(builder.getKnowledgePackages());
    Set<String> packages = new TreeSet<>();
    for (KiePackage p : base.getKiePackages()) {
      if (!p.getRules().isEmpty()) {
        packages.add(p.getName());
      }
    }
    return new DrlRuleBase(base, Set.copyOf(packages), Map.copyOf(sources));
  }

  private static final Pattern STR_OPERATION = Pattern.compile("str\\s*\\[\\s*(\\w*)\\s*\\]");
  private static final Set<String> STR_OPERATIONS = Set.of("startsWith", "endsWith", "length");

  /**
   * The problem of a file Drools threw on: at an unknown {@code str[...]} operation if it has one.
   */
  static ConfigError crashError(String file, String text, RuntimeException crash) {
    Matcher m = STR_OPERATION.matcher(text);
    while (m.find()) {
      if (!STR_OPERATIONS.contains(m.group(1))) {
        LineStarts lines = new LineStarts(text);
        int line = lines.lineOf(m.start());
        return new ConfigError(
            file,
            line,
            m.start() - lines.start(line) + 1,
            "str["
                + m.group(1)
                + "] is not an operation of str; use str[startsWith], str[endsWith] or"
                + " str[length]");
      }
    }
    return ConfigError.of(
        file,
        "Drools could not compile this file: "
            + crash.getClass().getSimpleName()
            + ": "
            + crash.getMessage());
  }

  private static ConfigError toError(String file, KnowledgeBuilderResult r) {
    int line = 0;
    int col = 0;
    if (r instanceof ParserError pe) {
      line = pe.getRow();
      col = pe.getCol() + 1;
    } else if (r.getLines() != null && r.getLines().length > 0) {
      line = r.getLines()[0];
    }
    String message = r.getMessage() == null ? "DRL error" : r.getMessage().strip();
    if (line <= 0) {
      Matcher m = LINE_COL.matcher(message);
      if (m.find()) {
        line = Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(3));
        col = Integer.parseInt(m.group(2) != null ? m.group(2) : m.group(4)) + 1;
      }
    }
    return new ConfigError(file, Math.max(line, 0), Math.max(col, 0), "DRL: " + message);
  }

  /** The DRL packages that contain rules. */
  public Set<String> packages() {
    return packages;
  }

  /** The DRL sources it was compiled from, for reuse when they have not changed. */
  public Map<String, String> sources() {
    return sources;
  }

  /**
   * Rule firings one evaluation may take; more mean a rule loop, and the evaluation fails (its
   * failure policy answers). Real policies fire a handful.
   */
  public static final int MAX_FIRINGS = 10_000;

  /**
   * Runs the rules of {@code selected} packages (all when {@code null}) against one request. The
   * result names the DRL rule that denied in its message.
   */
  public Verdict evaluate(Attributes attributes, Set<String> selected) {
    Decision decision = new Decision();
    DefaultAgendaEventListener namer =
        new DefaultAgendaEventListener() {
          @Override
          public void afterMatchFired(AfterMatchFiredEvent event) {
            if (decision.isDenied()) {
              var rule = event.getMatch().getRule();
              decision.setDeniedBy(rule.getPackageName() + "." + rule.getName());
            }
          }
        };
    KieSession session = sessions.newKieSession();
    try {
      session.addEventListener(namer);
      session.insert(new Request(attributes));
      session.insert(decision);
      AgendaFilter filter =
          selected == null ? m -> true : m -> selected.contains(m.getRule().getPackageName());
      int fired = session.fireAllRules(filter, MAX_FIRINGS);
      if (fired >= MAX_FIRINGS) {
        throw new IllegalStateException(
            "DRL fired "
                + fired
                + " rules for one request without coming to rest: a rule that re-activates"
                + " itself (modify without a guard, or no-loop missing)?");
      }
    } finally {
      session.removeEventListener(namer);
      session.dispose(); // back to the pool, its facts removed
    }
    CheckResult result =
        decision.isDenied()
            ? new CheckResult(
                false,
                decision.getStatus(),
                decision.getMessage(),
                List.of(),
                decision.getResponseHeaders())
            : CheckResult.ok(decision.getRequestHeaders(), decision.getResponseHeaders());
    return new Verdict(result, decision.getDeniedBy());
  }
}
