package io.tollgate.rules;

import io.tollgate.adapter.spi.Attributes;

/**
 * {@code Decider} decides requests. Implementations are thread-safe and never throw for a policy
 * problem: a failing handler is resolved by its failure policy into a decision.
 */
@FunctionalInterface
public interface Decider {
  /** A caller deadline meaning none: the handlers' own deadlines alone bound the check. */
  long NO_DEADLINE = Long.MAX_VALUE;

  /** Decides one request with exactly one policy version. */
  PolicyDecision check(Attributes attributes);

  /**
   * Decides one request, no handler waiting past {@code callerDeadline} (a {@link
   * System#nanoTime()} value, or {@link #NO_DEADLINE}): the caller's deadline, e.g. the gRPC
   * deadline Envoy sends as its ext_authz timeout.
   */
  default PolicyDecision check(Attributes attributes, long callerDeadline) {
    return check(attributes);
  }

  /**
   * Decides a request a server sent itself to warm up ({@link WarmUp}): counted nowhere, and
   * decided by the version that is about to serve while one is being warmed.
   */
  default PolicyDecision warmUpCheck(Attributes attributes) {
    return WarmUp.call(() -> check(attributes));
  }
}
