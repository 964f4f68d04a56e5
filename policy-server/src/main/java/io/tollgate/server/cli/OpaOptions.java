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
      converter = Addresses.HttpUrl.class,
      paramLabel = "URL",
      description =
          "OPA server for Rego policies. Default: run the opa program found on the PATH (or ~/go/bin).")
  String opaUrl;

  @Option(
      names = "--opa-binary",
      paramLabel = "FILE",
      description = "The opa program to run when no --opa-url is given.")
  Path opaBinary;

  @Option(
      names = "--opa-allow-builtin",
      paramLabel = "NAME",
      split = ",",
      description =
          "A Rego builtin that reaches outside OPA (http.send, net.lookup_ip_addr, opa.runtime,"
              + " json.match_schema, json.verify_schema) which policies may use all the same;"
              + " repeatable. The supervised OPA refuses them by default; an --opa-url OPA's"
              + " capabilities are its operator's to set.")
  java.util.List<String> allowBuiltins = new java.util.ArrayList<>();

  java.util.Set<String> allowedBuiltins() {
    return java.util.Set.copyOf(allowBuiltins);
  }

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
            new RegoEngine.Settings(opaUrl, opaBinary, Duration.ofSeconds(5), allowedBuiltins()),
            Duration.ofSeconds(2),
            null));
  }
}
