package io.tollgate.server.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code DefaultsProvider} supplies option values not given on the command line: first from the
 * environment ({@code --grpc-port} reads {@code TOLLGATE_GRPC_PORT}), then from the config file.
 */
final class DefaultsProvider implements CommandLine.IDefaultValueProvider {
  private final Map<String, String> env;
  private final ConfigFile file;

  DefaultsProvider(Map<String, String> env, ConfigFile file) {
    this.env = env;
    this.file = file;
  }

  static String envName(String longOption) {
    return "TOLLGATE_"
        + longOption.replaceFirst("^--", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec o) || o.longestName().equals("--config")) {
      return null;
    }
    String fromEnv = env.get(envName(o.longestName()));
    if (fromEnv != null) {
      return fromEnv;
    }
    return file.values().get(o.longestName().replaceFirst("^--", ""));
  }

  ConfigFile file() {
    return file;
  }
}
