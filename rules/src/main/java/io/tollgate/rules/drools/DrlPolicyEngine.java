package io.tollgate.rules.drools;

import io.tollgate.rules.config.HandlerConfig;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.engine.PolicyEngine;
import io.tollgate.rules.snapshot.CompiledRule;
import io.tollgate.rules.snapshot.HandlerEntry;
import io.tollgate.rules.snapshot.PolicySnapshot;
import io.tollgate.rules.snapshot.PreparedPolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code DrlPolicyEngine} makes {@code *.drl} files part of a policy: one Drools rule base per
 * version (reused while the sources are unchanged), {@code adapter: drools} handlers that run some
 * or all of its packages, and a rule for every request that runs the packages no handler claims.
 */
public final class DrlPolicyEngine implements PolicyEngine {
  private final Duration defaultTimeout;

  /**
   * @param defaultTimeout the deadline of a handler that sets none
   */
  public DrlPolicyEngine(Duration defaultTimeout) {
    this.defaultTimeout = defaultTimeout;
  }

  @Override
  public String adapter() {
    return DroolsHandler.ADAPTER;
  }

  @Override
  public boolean reads(String fileName) {
    return fileName.endsWith(".drl");
  }

  @Override
  public String filePattern() {
    return "*.drl";
  }

  @Override
  public PreparedPolicy prepare(
      Map<String, String> files, PreparedPolicy previous, Problems problems) {
    if (previous instanceof DrlRuleBase old && old.sources().equals(files)) {
      return old;
    }
    return DrlRuleBase.compile(files, problems.list());
  }

  @Override
  public HandlerEntry handler(HandlerConfig hc, PreparedPolicy prepared, Problems problems) {
    Set<String> packages = null;
    hc.refuseUnknownParams(List.of("packages"), problems);
    Object p = hc.params().get("packages");
    if (p instanceof List<?> l) {
      packages = new TreeSet<>();
      for (Object o : l) {
        packages.add(String.valueOf(o));
      }
    } else if (p != null) {
      problems.at(hc.doc(), "params.packages", "packages must be a list of DRL package names");
    }
    if (!(prepared instanceof DrlRuleBase drl)) {
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
        hc.timeout() != null ? hc.timeout() : defaultTimeout,
        "drools:" + packages,
        Map.of());
  }

  /**
   * The packages no handler claims run for every request, in a rule without a name: a denial names
   * the DRL rule that denied, and the rule is listed as {@link PolicySnapshot#GLOBAL_DRL_RULE}.
   */
  @Override
  public CompiledRule globalRule(PreparedPolicy prepared, List<HandlerEntry> handlers) {
    DrlRuleBase drl = (DrlRuleBase) prepared;
    Set<String> global = new TreeSet<>(drl.packages());
    for (HandlerEntry h : handlers) {
      Set<String> claimed = ((DroolsHandler) h.handler()).packages();
      if (claimed == null) {
        return null; // one handler runs them all
      }
      global.removeAll(claimed);
    }
    if (global.isEmpty()) {
      return null;
    }
    return CompiledRule.always(
        "",
        new HandlerEntry(
            "drools",
            DroolsHandler.ADAPTER,
            Set.of("checknothing"),
            new DroolsHandler(drl, global),
            false,
            defaultTimeout,
            "drools:global",
            Map.of()));
  }
}
