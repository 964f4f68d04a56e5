package io.tollgate.rules.engine;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Instance;

/**
 * {@code RuleSetHandler} is a handler that is itself a set of rules, and says which of them denied
 * a request: the decision log and {@code tollgate test} name that rule. It takes no instance.
 */
public interface RuleSetHandler extends CheckHandler {

  /** Decides a request. */
  Verdict decide(Attributes attributes);

  @Override
  default CheckResult check(Instance instance, Attributes attributes) {
    return decide(attributes).result();
  }

  /**
   * A decision and the rule inside the set that made it.
   *
   * @param deniedBy the rule that denied, or empty
   */
  record Verdict(CheckResult result, String deniedBy) {}
}
