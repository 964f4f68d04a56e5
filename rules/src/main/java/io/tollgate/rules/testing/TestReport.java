package io.tollgate.rules.testing;

import io.tollgate.common.config.ConfigError;
import java.util.List;

/**
 * {@code TestReport} is the outcome of a rule test run.
 *
 * @param cases every case, in file and document order
 * @param errors problems that kept cases from running: an invalid policy or test file
 */
public record TestReport(List<CaseResult> cases, List<ConfigError> errors) {
  public TestReport {
    cases = List.copyOf(cases);
    errors = List.copyOf(errors);
  }

  /** Whether every case passed and nothing kept a case from running. */
  public boolean passed() {
    return errors.isEmpty() && cases.stream().allMatch(CaseResult::passed);
  }

  public long failures() {
    return cases.stream().filter(c -> !c.passed()).count();
  }
}
