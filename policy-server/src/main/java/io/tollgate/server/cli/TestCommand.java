package io.tollgate.server.cli;

import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.testing.CaseResult;
import io.tollgate.rules.testing.RuleTestRunner;
import io.tollgate.rules.testing.TestReport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tollgate test DIR}: runs a policy's rule tests. */
@Command(
    name = "test",
    mixinStandardHelpOptions = true,
    description = {
      "Loads a policy directory and runs the cases in its tests/*.yaml: attributes in, expected",
      "decision, status, rule, handler, message and headers out. Prints a table; exit 1 on any failure."
    })
final class TestCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "The policy directory.")
  Path dir;

  @CommandLine.Mixin OpaOptions opa;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isDirectory(dir)) {
      err.println(dir + ": not a directory");
      return 1;
    }
    TestReport report = RuleTestRunner.run(opa.runtimeOptions(dir));
    for (ConfigError e : report.errors()) {
      err.println(e);
    }
    int width = 4;
    for (CaseResult c : report.cases()) {
      width = Math.max(width, c.name().length());
    }
    String row = "%-4s  %-" + width + "s  %s%n";
    out.printf(row, "", "case", "file");
    for (CaseResult c : report.cases()) {
      out.printf(row, c.passed() ? "ok" : "FAIL", c.name(), c.file());
      if (!c.passed()) {
        out.println("        expected: " + c.expected());
        out.println("        actual:   " + c.actual());
      }
      if (!c.matchErrors().isEmpty()) {
        out.println("        match errors: " + String.join(", ", c.matchErrors()));
      }
    }
    long failed = report.failures();
    out.println(
        report.cases().size()
            + " case(s), "
            + failed
            + " failed"
            + (report.errors().isEmpty() ? "" : ", " + report.errors().size() + " error(s)"));
    if (report.cases().isEmpty() && report.errors().isEmpty()) {
      err.println(dir + ": no test cases (put them in " + dir.resolve("tests") + "/*.yaml)");
      return 1;
    }
    return report.passed() ? 0 : 1;
  }
}
