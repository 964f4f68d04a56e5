package io.tollgate.server.cli;

import io.tollgate.citadel.Citadel;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.common.lifecycle.ShutdownHooks;
import io.tollgate.pilot.PilotServer;
import io.tollgate.pilot.model.MeshException;
import io.tollgate.rules.PolicyLoadException;
import io.tollgate.server.DecisionLog;
import io.tollgate.server.PolicyServer;
import io.tollgate.server.ServerConfig;
import io.tollgate.server.ServerConfigBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tollgate serve}: runs the policy server until it is stopped. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the policy server: Envoy ext_authz over gRPC, the HTTP check endpoint (Envoy HTTP service,",
      "nginx auth_request) and the admin server. With no --policy, serves the bundled bookinfo example.",
      "Every option can also be set as TOLLGATE_<OPTION> (e.g. TOLLGATE_GRPC_PORT) or in the --config file."
    })
final class ServeCommand implements Callable<Integer> {
  /** The exit status after a fatal error, with {@code --exit-on-fatal} (EX_SOFTWARE). */
  static final int EXIT_FATAL = 70;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML file of option values (keys: option names without dashes).")
  Path config;

  @Option(
      names = "--policy",
      paramLabel = "DIR",
      description = "Policy directory (default: the bundled example).")
  Path policy;

  @CommandLine.Mixin OpaOptions opa;

  @Option(
      names = "--bind",
      converter = Addresses.Bind.class,
      defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--grpc-port",
      defaultValue = "9091",
      description = "gRPC port: ext_authz, health, reflection (default: ${DEFAULT-VALUE}).")
  int grpcPort;

  @Option(
      names = "--http-port",
      defaultValue = "9092",
      description = "HTTP check port; -1 turns it off (default: ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(
      names = "--admin-port",
      defaultValue = "15014",
      description = "Admin port: /healthz /readyz /metrics /config (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @CommandLine.Mixin ServeAllOptions allInOne;

  @Option(
      names = "--reload-interval",
      defaultValue = "1s",
      description =
          "How often policy inputs are polled; 0s turns watching off (default: ${DEFAULT-VALUE}).")
  Duration reloadInterval;

  @Option(
      names = "--handler-timeout",
      defaultValue = "100ms",
      description = "Default deadline of handlers that block (default: ${DEFAULT-VALUE}).")
  Duration handlerTimeout;

  @Option(
      names = "--match-failure-policy",
      defaultValue = "closed",
      paramLabel = "closed|open",
      description =
          "What a rule that can deny does when its match fails to evaluate (a missing header, a"
              + " type error) and it sets no matchFailurePolicy: closed counts it as matched, open"
              + " as not matched (default: ${DEFAULT-VALUE}).")
  String matchFailurePolicy;

  @Option(
      names = "--reveal-rule",
      defaultValue = "false",
      arity = "1",
      paramLabel = "true|false",
      description =
          "Name the deciding rule, handler and policy version in denials (x-tollgate-* headers,"
              + " body); off, they stay in the server's logs and decision log (default:"
              + " ${DEFAULT-VALUE}).")
  boolean revealRule;

  @Option(
      names = "--decision-log",
      defaultValue = "deny",
      paramLabel = "off|deny|all",
      description = "Which decisions get a JSON log line (default: ${DEFAULT-VALUE}).")
  DecisionLog.Mode decisionLog;

  @Option(
      names = "--decision-log-sample",
      defaultValue = "1.0",
      description = "Fraction of those logged, 0..1 (default: ${DEFAULT-VALUE}).")
  double decisionLogSample;

  @Option(
      names = "--http-path-prefix",
      defaultValue = "",
      description = "Prefix Envoy's HTTP-service ext_authz adds to the path (path_prefix).")
  String httpPathPrefix;

  @Option(
      names = "--exit-on-fatal",
      defaultValue = "false",
      arity = "0..1",
      paramLabel = "true|false",
      description =
          "Exit (status 70) on a fatal error: out of memory or a dead internal thread. Either way /healthz"
              + " and /readyz answer 503 from then on (default: ${DEFAULT-VALUE}).")
  boolean exitOnFatal;

  @Option(
      names = "--trust-forwarded-for",
      defaultValue = "false",
      arity = "1",
      paramLabel = "true|false",
      description =
          "HTTP check: take source.ip from X-Forwarded-For (only behind a proxy that sets it) (default: ${DEFAULT-VALUE}).")
  boolean trustForwardedFor;

  @Option(
      names = "--worker-threads",
      defaultValue = "0",
      description = "Threads deciding checks (default: twice the CPUs, at least 4).")
  int workerThreads;

  @Option(
      names = "--admin-token",
      defaultValue = "",
      paramLabel = "TOKEN",
      description =
          "Bearer token for admin actions (POST /reload); prefer TOLLGATE_ADMIN_TOKEN. Empty: admin actions off.")
  String adminToken;

  @Option(
      names = "--rego-timeout",
      defaultValue = "5ms",
      description =
          "Default deadline of Rego handlers (a Handler's timeout overrides it) (default: ${DEFAULT-VALUE}).")
  Duration regoTimeout;

  @CommandLine.Mixin QuotaClusterOptions quotaCluster;

  @CommandLine.Mixin HttpLimitOptions httpLimits;

  @Option(
      names = "--quota-client",
      defaultValue = "false",
      arity = "1",
      paramLabel = "true|false",
      description =
          "Connect to `tollgate quota-node` processes at --quota-members as a client instead of holding quotas in this process (default: ${DEFAULT-VALUE}).")
  boolean quotaClient;

  @Option(
      names = "--quota-timeout",
      defaultValue = "500ms",
      description =
          "How long one rate-limit decision may take in the quota cluster (default: ${DEFAULT-VALUE}).")
  Duration quotaTimeout;

  @Option(
      names = "--ratelimit-failure-mode",
      defaultValue = "allow",
      paramLabel = "allow|deny",
      description =
          "Answer to a rate-limit check the quota cluster cannot decide (default: ${DEFAULT-VALUE}).")
  String rateLimitFailureMode;

  @Option(
      names = "--ratelimit-headers",
      defaultValue = "false",
      arity = "1",
      paramLabel = "true|false",
      description =
          "Rate-limit answers carry RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers for Envoy to add (default: ${DEFAULT-VALUE}).")
  boolean rateLimitHeaders;

  @Option(
      names = "--report-queue",
      defaultValue = "10000",
      description =
          "Access-log entries that may wait for the report rules; more are dropped and counted (default: ${DEFAULT-VALUE}).")
  int reportQueue;

  @Option(
      names = "--report-threads",
      defaultValue = "2",
      description = "Report workers running the report rules (default: ${DEFAULT-VALUE}).")
  int reportThreads;

  @Option(
      names = "--warm-up-time",
      defaultValue = "10s",
      description =
          "The most one warm-up of a policy version may take before it serves; 0s turns warming up off (default: ${DEFAULT-VALUE}).")
  Duration warmUpTime;

  @Option(
      names = "--warm-up-rounds",
      defaultValue = "" + ServerConfig.WarmUp.DEFAULT_ROUNDS,
      description =
          "Rounds of warm-up traffic (an ext_authz check, an HTTP check, a rate-limit call) per warm-up, at most (default: ${DEFAULT-VALUE}).")
  int warmUpRounds;

  /** The option names a config file may use. */
  Set<String> optionKeys() {
    return spec.options().stream()
        .map(o -> o.longestName().replaceFirst("^--", ""))
        .filter(n -> !Set.of("config", "help", "version").contains(n))
        .collect(Collectors.toSet());
  }

  ServerConfig serverConfig() {
    ServerConfigBuilder b = ServerConfig.builder();
    if (workerThreads != 0) {
      b.workerThreads(workerThreads);
    }
    return b.bind(bind)
        .grpcPort(grpcPort)
        .httpPort(httpPort)
        .adminPort(adminPort)
        .policyDir(policy)
        .pluginsDir(opa.plugins)
        .reloadInterval(reloadInterval)
        .handlerTimeout(handlerTimeout)
        .revealRule(revealRule)
        .decisionLog(decisionLog)
        .decisionLogSample(decisionLogSample)
        .httpPathPrefix(httpPathPrefix)
        .trustForwardedFor(trustForwardedFor)
        .adminToken(adminToken)
        .opaUrl(opa.opaUrl)
        .opaBinary(opa.opaBinary)
        .opaAllowedBuiltins(opa.allowedBuiltins())
        .regoTimeout(regoTimeout)
        .quota(
            new ServerConfig.Quota(
                quotaCluster.clusterName,
                quotaCluster.port,
                quotaCluster.members,
                quotaCluster.kubernetesDns,
                quotaClient,
                quotaTimeout,
                failureDeny(rateLimitFailureMode),
                rateLimitHeaders))
        .reportQueue(reportQueue)
        .reportThreads(reportThreads)
        .warmUp(new ServerConfig.WarmUp(warmUpTime, warmUpRounds))
        .failClosedMatches(failClosed(matchFailurePolicy))
        .httpLimits(
            httpLimits.check(
                workerThreads != 0 ? workerThreads : ServerConfig.defaultWorkerThreads()))
        .adminLimits(httpLimits.admin())
        .build();
  }

  private static boolean failClosed(String policy) {
    return switch (policy) {
      case "closed" -> true;
      case "open" -> false;
      default ->
          throw new IllegalArgumentException(
              "--match-failure-policy must be closed or open, not " + policy);
    };
  }

  private static boolean failureDeny(String mode) {
    return switch (mode) {
      case "allow" -> false;
      case "deny" -> true;
      default ->
          throw new IllegalArgumentException(
              "--ratelimit-failure-mode must be allow or deny, not " + mode);
    };
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (spec.root().commandLine().getDefaultValueProvider() instanceof DefaultsProvider p) {
      try {
        p.file().checkKeys(optionKeys());
      } catch (ConfigFile.ConfigFileException e) {
        err.println("tollgate serve: " + e.getMessage());
        return 2;
      }
    }
    if (exitOnFatal) {
      FatalErrors.exitOnFatal(EXIT_FATAL, Duration.ofSeconds(10));
    }
    if (policy != null && !Files.isDirectory(policy)) {
      err.println(
          "tollgate serve: policy directory " + policy + " does not exist or is not a directory");
      return 1;
    }
    ServerConfig cfg;
    try {
      cfg = serverConfig();
    } catch (IllegalArgumentException e) {
      err.println("tollgate serve: " + e.getMessage());
      return 2;
    }
    PolicyServer server;
    try {
      server = PolicyServer.start(cfg);
    } catch (PolicyLoadException e) {
      err.println("tollgate serve: the policy does not load; nothing started:");
      for (ConfigError c : e.errors()) {
        err.println("  " + c);
      }
      return 1;
    } catch (UncheckedIOException e) {
      err.println("tollgate serve: " + e.getMessage());
      return 1;
    }
    Citadel ca = null;
    if (allInOne.runsCa()) {
      try {
        ca = allInOne.startCa(bind, server.metrics().registry());
      } catch (IOException | RuntimeException e) {
        server.close();
        err.println("tollgate serve: the CA cannot start: " + e.getMessage());
        return 1;
      }
      spec.commandLine()
          .getOut()
          .printf(
              "tollgate ca: trust domain %s, CSR API on %s:%d, trust bundle %s%n",
              allInOne.trustDomain, bind, ca.port(), ca.rootCertFile());
      spec.commandLine().getOut().flush();
    }
    PilotServer pilotServer = null;
    if (allInOne.runsPilot()) {
      try {
        pilotServer =
            allInOne.startPilot(
                bind, reloadInterval, server.grpcPort(), ca, server.metrics().registry());
      } catch (MeshException | IOException e) {
        if (ca != null) {
          ca.close();
        }
        server.close();
        err.println("tollgate serve: pilot-lite cannot start: " + e.getMessage());
        return 1;
      }
      spec.commandLine()
          .getOut()
          .printf(
              "tollgate pilot: xDS on %s:%d, mesh %s version %s%n",
              bind, pilotServer.port(), allInOne.mesh, pilotServer.version());
      spec.commandLine().getOut().flush();
    }
    ShutdownHooks.closeOnExit("tollgate-shutdown", pilotServer, ca, server);
    server.awaitTermination();
    return 0;
  }
}
