package io.tollgate.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.rules.testing.CaseResult;
import io.tollgate.rules.testing.RuleTestRunner;
import io.tollgate.rules.testing.TestReport;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleTestRunnerTest {
  @TempDir Path tmp;

  private PolicyDir policy() {
    return new PolicyDir(tmp)
        .write(
            "p.yaml",
            """
        kind: Handler
        name: no
        adapter: fixed
        params: {allow: false, status: 403, message: admins only}
        ---
        kind: Rule
        name: admin
        match: request.path.startsWith("/admin")
        actions: [{handler: no}]
        ---
        kind: Rule
        name: tag
        requestHeaderOperations:
        - name: x-path
          values: [request.path]
        """);
  }

  @Test
  void passingAndFailingCasesAreReportedWithWhatDiffered() {
    PolicyDir d =
        policy()
            .write(
                "tests/t.yaml",
                """
        cases:
        - name: admin denied
          attributes: {request.path: /admin}
          expect: {decision: deny, status: 403, rule: admin}
        - name: home allowed and tagged
          attributes: {request.path: /home}
          expect: {decision: allow, requestHeaders: {x-path: /home}}
        - name: wrong expectation
          attributes: {request.path: /admin}
          expect: {decision: allow}
        """);
    TestReport report = RuleTestRunner.run(d.options());
    assertThat(report.errors()).isEmpty();
    assertThat(report.cases()).extracting(CaseResult::passed).containsExactly(true, true, false);
    assertThat(report.cases().get(2).actual())
        .contains("deny 403 by admin")
        .contains("expected allow");
    assertThat(report.passed()).isFalse();
  }

  @Test
  void unknownAttributeInATestIsAnErrorWithLocation() {
    PolicyDir d =
        policy()
            .write(
                "tests/t.yaml",
                """
        cases:
        - name: typo
          attributes: {request.pth: /admin}
          expect: {decision: deny}
        """);
    TestReport report = RuleTestRunner.run(d.options());
    assertThat(report.passed()).isFalse();
    assertThat(report.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.file()).isEqualTo("tests/t.yaml");
              assertThat(e.line()).isEqualTo(3);
              assertThat(e.message()).contains("unknown attribute 'request.pth'");
            });
  }

  @Test
  void invalidPolicyFailsTheRun() {
    PolicyDir d = policy().write("p.yaml", "kind: Nope\n").write("tests/t.yaml", "cases: []\n");
    TestReport report = RuleTestRunner.run(d.options());
    assertThat(report.passed()).isFalse();
    assertThat(report.errors()).anySatisfy(e -> assertThat(e.message()).contains("unknown kind"));
  }
}
