package io.tollgate.rules;

import io.tollgate.rules.drools.DrlPolicyEngine;
import io.tollgate.rules.engine.PolicyEngine;
import io.tollgate.rules.rego.RegoPolicyEngine;
import io.tollgate.rules.snapshot.PolicySnapshot;
import io.tollgate.rules.snapshot.PreparedPolicy;
import java.util.List;

/**
 * {@code PolicyEngines} are the policy languages a runtime knows besides YAML/CEL. A new language
 * implements {@link PolicyEngine} and is listed in {@link #PolicyEngines}.
 */
final class PolicyEngines implements AutoCloseable {
  /** Rego, also in {@link #all}: its OPA connection is visible to metrics. */
  final RegoPolicyEngine rego;

  final List<PolicyEngine> all;

  /**
   * @param strict whether an unreachable OPA is an error (validate, test)
   */
  PolicyEngines(RuntimeOptions options, boolean strict) {
    rego =
        new RegoPolicyEngine(options.opa(), options.regoObserver(), options.regoTimeout(), strict);
    all = List.of(new DrlPolicyEngine(options.blockingTimeout()), rego);
  }

  /** Makes each engine answer with what it prepared for {@code s}, just before {@code s} serves. */
  void activate(PolicySnapshot s) {
    for (PolicyEngine e : all) {
      PreparedPolicy p = s.prepared().get(e.adapter());
      if (p != null) {
        e.activate(p);
      }
    }
  }

  /** Empty when every engine that {@code s} uses can answer; otherwise why not. */
  String notReadyReason(PolicySnapshot s) {
    for (PolicyEngine e : all) {
      if (s.prepared().containsKey(e.adapter()) && !e.notReadyReason().isEmpty()) {
        return e.notReadyReason();
      }
    }
    return "";
  }

  @Override
  public void close() {
    all.forEach(PolicyEngine::close);
  }
}
