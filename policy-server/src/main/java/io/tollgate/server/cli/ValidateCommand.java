package io.tollgate.server.cli;

import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.PolicyRuntime;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tollgate validate DIR}: compiles a policy without serving it. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Compiles a policy directory exactly as the server would (YAML, CEL, DRL, plugins, handler params)",
      "and prints every problem as file:line:column: message. Exit 0 when valid, 1 otherwise."
    })
final class ValidateCommand implements Callable<Integer> {
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
    List<ConfigError> errors = PolicyRuntime.validate(opa.runtimeOptions(dir));
    if (errors.isEmpty()) {
      out.println(dir + ": valid");
      return 0;
    }
    errors.forEach(e -> err.println(e));
    err.println(errors.size() + " problem(s) in " + dir);
    return 1;
  }
}
