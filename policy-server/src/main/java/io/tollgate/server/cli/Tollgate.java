package io.tollgate.server.cli;

import io.tollgate.common.config.Durations;
import io.tollgate.common.lifecycle.FatalErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code Tollgate} is the {@code tollgate} command line: {@code serve}, {@code validate}, {@code
 * test}, {@code check}, {@code quota-node}, {@code ca}, {@code agent}, {@code pilot}, {@code
 * inject} and {@code analyze}. Exit codes: 0 success (or allowed), 1 failure (invalid policy,
 * failed tests, server could not start), 2 usage error, 3 denied ({@code check}).
 */
@Command(
    name = "tollgate",
    mixinStandardHelpOptions = true,
    versionProvider = Tollgate.Version.class,
    description = "Policy server for Envoy ext_authz and nginx auth_request.",
    subcommands = {
      ServeCommand.class,
      ValidateCommand.class,
      TestCommand.class,
      CheckCommand.class,
      QuotaNodeCommand.class,
      CaCommand.class,
      PilotCommand.class,
      InjectCommand.class,
      AnalyzeCommand.class,
      AgentCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Tollgate implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    FatalErrors.install();
    CommandLine cl;
    try {
      cl = commandLine(args);
    } catch (ConfigFile.ConfigFileException e) {
      System.err.println("tollgate: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(cl.execute(args));
  }

  /**
   * The command line, with defaults from the environment and the {@code --config} file in {@code
   * args}.
   */
  public static CommandLine commandLine(String[] args) {
    CommandLine cl = new CommandLine(new Tollgate());
    cl.setDefaultValueProvider(new DefaultsProvider(System.getenv(), ConfigFile.find(args)));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.registerConverter(java.time.Duration.class, Durations::parse);
    return withUsageErrors(cl);
  }

  /**
   * {@code cl} answering a mistake in the command line with one line, {@code tollgate check:
   * Invalid value for option '--address': expected HOST:PORT ...}, and exit status 2: an option
   * value that does not parse, and an {@link IllegalArgumentException} a command throws for a value
   * that parsed but cannot be used (a bad combination of options). Other failures keep picocli's
   * handling; commands report the ones they expect themselves.
   */
  public static CommandLine withUsageErrors(CommandLine cl) {
    cl.setParameterExceptionHandler(
        (e, args) -> {
          CommandLine c = e.getCommandLine();
          c.getErr().println(usageError(c, e.getMessage()));
          c.getErr().flush();
          return c.getCommandSpec().exitCodeOnInvalidInput();
        });
    cl.setExecutionExceptionHandler(
        (e, c, parsed) -> {
          if (!(e instanceof IllegalArgumentException)) {
            throw e;
          }
          c.getErr().println(usageError(c, e.getMessage()));
          c.getErr().flush();
          return c.getCommandSpec().exitCodeOnInvalidInput();
        });
    return cl;
  }

  private static String usageError(CommandLine c, String message) {
    String name = c.getCommandSpec().qualifiedName();
    return name + ": " + message + " (see " + name + " --help)";
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Tollgate.class.getPackage().getImplementationVersion();
      return new String[] {"tollgate " + (v == null ? "(development build)" : v)};
    }
  }
}
