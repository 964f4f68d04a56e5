package io.tollgate.rules;

import io.tollgate.rules.snapshot.PolicySnapshot;

/**
 * {@code Warmer} exercises a compiled policy version before it serves ({@link
 * PolicyRuntime#warmBeforeServing}).
 */
@FunctionalInterface
public interface Warmer {
  /**
   * Sends warm-up requests, which {@link PolicyRuntime#warmUpCheck} decides with {@code snapshot}.
   * Keeps to its own time budget; a failure is logged and the version serves anyway.
   */
  void warm(PolicySnapshot snapshot);
}
