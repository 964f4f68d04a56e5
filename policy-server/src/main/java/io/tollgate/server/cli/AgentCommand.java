package io.tollgate.server.cli;

import io.tollgate.citadel.KeyType;
import io.tollgate.citadel.agent.CertificateFiles;
import io.tollgate.citadel.agent.SdsServer;
import io.tollgate.citadel.agent.WorkloadAgent;
import io.tollgate.common.lifecycle.ShutdownHooks;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tollgate agent}: runs beside a workload, obtains its certificate from {@code tollgate ca}
 * and keeps it fresh in {@code --out} (and, with {@code --sds-socket}, serves it to Envoy by SDS).
 */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Fetches the workload's certificate from the CA (key generated here, never sent) and renews it",
      "at --renew-at of its lifetime; writes key.pem (0600), cert-chain.pem and root-cert.pem to --out,",
      "swapped atomically. Retries with backoff while the CA is down. --once fetches one and exits."
    })
final class AgentCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--ca-address",
      converter = Addresses.HostPort.class,
      defaultValue = "127.0.0.1:15012",
      paramLabel = "HOST:PORT",
      description = "The CA's CSR API (default: ${DEFAULT-VALUE}).")
  String caAddress;

  @Option(
      names = "--ca-root",
      paramLabel = "PEM-FILE",
      description =
          "Trust bundle that verifies the CA (its root-cert.pem, or GET /trust-bundle on its admin port).")
  Path caRoot;

  @Option(
      names = "--token",
      description =
          "Bootstrap token (tollgate ca token); prefer --token-file or TOLLGATE_TOKEN, "
              + "which other users cannot read in the process list.")
  String token;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "File holding the bootstrap token, reread at every attempt.")
  Path tokenFile;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "Where key.pem, cert-chain.pem and root-cert.pem go.")
  Path out;

  @Option(
      names = "--key-type",
      defaultValue = "EC_P256",
      description = "EC_P256 or RSA_2048 (default: ${DEFAULT-VALUE}).")
  KeyType keyType;

  @Option(
      names = "--ttl",
      defaultValue = "0s",
      description = "Lifetime to ask for; 0s takes the CA's default (default: ${DEFAULT-VALUE}).")
  Duration ttl;

  @Option(
      names = "--renew-at",
      defaultValue = "0.5",
      description =
          "Renew when this fraction of the lifetime has passed (default: ${DEFAULT-VALUE}).")
  double renewAt;

  @Option(
      names = "--max-backoff",
      defaultValue = "30s",
      description = "Longest wait between retries (default: ${DEFAULT-VALUE}).")
  Duration maxBackoff;

  @Option(
      names = "--sds-socket",
      paramLabel = "PATH",
      description = "Also serve the certificate to Envoy by SDS on this Unix socket.")
  Path sdsSocket;

  @Option(names = "--once", description = "Fetch one certificate, write it, and exit.")
  boolean once;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    if (caRoot == null || !Files.isReadable(caRoot)) {
      err.println(
          "tollgate agent: give --ca-root, the CA's trust bundle (root-cert.pem in its state directory, or GET /trust-bundle"
              + " on its admin port)"
              + (caRoot == null ? "" : "; " + caRoot + " cannot be read"));
      return 2;
    }
    WorkloadAgent.Settings settings;
    try {
      settings =
          new WorkloadAgent.Settings(
              caAddress, caRoot, token, tokenFile, out, keyType, ttl, renewAt, maxBackoff);
    } catch (IllegalArgumentException e) {
      err.println("tollgate agent: " + e.getMessage());
      return 2;
    }
    WorkloadAgent agent = new WorkloadAgent(settings, Clock.systemUTC());
    if (once) {
      try (agent) {
        CertificateFiles.Bundle b = agent.fetch();
        spec.commandLine()
            .getOut()
            .printf(
                "tollgate agent: certificate serial %s valid until %s written to %s%n",
                b.certificate().getSerialNumber().toString(16),
                b.certificate().getNotAfter().toInstant(),
                out);
        return 0;
      } catch (WorkloadAgent.FetchException e) {
        err.println("tollgate agent: " + e.getMessage());
        return 1;
      }
    }
    SdsServer sds = null;
    if (sdsSocket != null) {
      try {
        sds = SdsServer.start(sdsSocket, agent);
      } catch (IOException | RuntimeException e) {
        agent.close();
        err.println("tollgate agent: cannot serve SDS on " + sdsSocket + ": " + e.getMessage());
        return 1;
      }
    }
    agent.start();
    spec.commandLine()
        .getOut()
        .printf(
            "tollgate agent: keeping the certificate in %s fresh from %s%s%n",
            out, caAddress, sdsSocket == null ? "" : ", SDS on unix:" + sdsSocket);
    spec.commandLine().getOut().flush();
    ShutdownHooks.closeOnExitAndWait("tollgate-agent-shutdown", agent, sds);
    return 0;
  }
}
