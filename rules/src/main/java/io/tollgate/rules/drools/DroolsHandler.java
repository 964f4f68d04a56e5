package io.tollgate.rules.drools;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.rules.engine.RuleSetHandler;
import java.util.Set;

/**
 * {@code DroolsHandler} runs DRL rules as a handler, so a YAML rule's {@code match} can scope them.
 * Configured as {@code adapter: drools} with an optional {@code packages} param listing the DRL
 * packages it runs (all when absent).
 */
public final class DroolsHandler implements RuleSetHandler {
  /** The adapter name configs use. */
  public static final String ADAPTER = "drools";

  private final DrlRuleBase base;
  private final Set<String> packages;

  public DroolsHandler(DrlRuleBase base, Set<String> packages) {
    this.base = base;
    this.packages = packages == null ? null : Set.copyOf(packages);
  }

  /** The packages it runs, or {@code null} for all. */
  public Set<String> packages() {
    return packages;
  }

  /** Runs the rules, returning the result and the DRL rule that denied. */
  @Override
  public Verdict decide(Attributes attributes) {
    return base.evaluate(attributes, packages);
  }
}
