package io.tollgate.rules;

import io.tollgate.adapter.spi.Attributes;

/**
 * {@code Decider} decides requests. Implementations are thread-safe and never throw for a policy
 * problem: a failing handler is resolved by its failure policy into a decision.
 */
@FunctionalInterface
public interface Decider {

  /** Decides one request with exactly one policy version. */
  PolicyDecision check(Attributes attributes);
}
