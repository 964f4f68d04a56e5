package io.tollgate.server.cli;

import io.tollgate.rules.RuntimeOptions;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.server.PolicyEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code OpaOptions} are the options of every command that compiles a policy: where adapter plugins
 * are and which OPA runs its Rego ({@code serve}, {@code validate}, {@code test}).
 */
final class OpaOptions {
  @Option(
      names = "--plugins",
      paramLabel = "DIR",
      description = "Directory of adapter plugin jars.")
  Path plugins;

  @Option(
      names = "--opa-url",
      paramLabel = "URL",
      description =
          "OPA server for Rego policies. Default: run the opa program found on the PATH (or ~/go/bin).")
  String opaUrl;

  @Option(
      names = "--opa-binary",
      paramLabel = "FILE",
      description = "The opa program to run when no --opa-url is given.")
  Path opaBinary;

  /**
   * What {@code validate} and {@code test} compile {@code dir} with: what {@code serve} does,
   * offline.
   */
  RuntimeOptions runtimeOptions(Path dir) {
    return PolicyEnvironment.offline(
        new RuntimeOptions(
            dir,
            plugins,
            Duration.ofMillis(100),
            new RegoEngine.Settings(opaUrl, opaBinary, Duration.ofSeconds(5)),
            Duration.ofSeconds(2),
            null));
  }
}
