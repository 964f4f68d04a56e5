package io.tollgate.server.cli;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.citadel.BootstrapTokens;
import io.tollgate.citadel.CaState;
import io.tollgate.citadel.Citadel;
import io.tollgate.citadel.Pem;
import io.tollgate.citadel.Revocations;
import io.tollgate.citadel.SpiffeId;
import io.tollgate.common.lifecycle.ShutdownHooks;
import io.tollgate.server.admin.AdminServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tollgate ca}: citadel-lite, the certificate authority for workload identities. With no
 * subcommand it serves Istio's CSR API; {@code token} issues bootstrap tokens and {@code revoke}
 * refuses a certificate's renewal, both working on the state directory.
 */
@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    subcommands = {CaCommand.Token.class, CaCommand.Revoke.class},
    description = {
      "Runs the certificate authority: workloads (tollgate agent) send a CSR with a bootstrap token or their",
      "current certificate and get spiffe://<trust-domain>/ns/<ns>/sa/<sa> certificates.",
      "On first start a self-signed ECDSA P-256 root is created in --state-dir; --ca-certs uses your own",
      "intermediate instead. Admin: /healthz /readyz /metrics /trust-bundle on --admin-port."
    })
final class CaCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** What the CA and its subcommands share. */
  static final class State {
    @Option(
        names = "--state-dir",
        defaultValue = "tollgate-ca",
        paramLabel = "DIR",
        description = "Keys, certificates, token key and revocations (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    @Option(
        names = "--trust-domain",
        defaultValue = "cluster.local",
        description = "Trust domain of the identities (default: ${DEFAULT-VALUE}).")
    String trustDomain;
  }

  @CommandLine.Mixin State state;

  @Option(
      names = "--ca-certs",
      paramLabel = "DIR",
      description =
          "A plugged-in CA: ca-cert.pem, ca-key.pem, cert-chain.pem and root-cert.pem (Istio's cacerts layout).")
  Path caCerts;

  @Option(
      names = "--bind",
      converter = Addresses.Bind.class,
      defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--port",
      defaultValue = "15012",
      description = "CSR API port, TLS (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(
      names = "--admin-port",
      defaultValue = "15016",
      description = "Admin port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int adminPort;

  @Option(
      names = "--hosts",
      split = ",",
      defaultValue = "localhost,127.0.0.1",
      description =
          "Names and addresses agents dial, put in the CA's TLS certificate (default: ${DEFAULT-VALUE}).")
  List<String> hosts;

  @Option(
      names = "--default-ttl",
      defaultValue = "24h",
      description = "Lifetime when a CSR asks for none (default: ${DEFAULT-VALUE}).")
  Duration defaultTtl;

  @Option(
      names = "--max-ttl",
      defaultValue = "90d",
      description =
          "Longest lifetime issued; longer requests get this (default: ${DEFAULT-VALUE}).")
  Duration maxTtl;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    Citadel ca;
    AdminServer admin;
    try {
      ca =
          Citadel.start(
              new Citadel.Settings(
                  state.stateDir,
                  caCerts,
                  state.trustDomain,
                  defaultTtl,
                  maxTtl,
                  bind,
                  port,
                  hosts),
              registry,
              Clock.systemUTC());
    } catch (IOException | IllegalArgumentException e) {
      err.println("tollgate ca: cannot start: " + e.getMessage());
      return 1;
    }
    try {
      admin = new AdminServer(new InetSocketAddress(bind, adminPort), null, registry, () -> "", "");
      admin.text(
          "/trust-bundle",
          "application/x-pem-file",
          () -> Pem.encode(ca.authority().trustBundle()));
    } catch (IOException e) {
      ca.close();
      err.println(
          "tollgate ca: cannot listen on "
              + bind
              + ":"
              + adminPort
              + " (choose another --admin-port): "
              + e.getMessage());
      return 1;
    }
    admin.start();
    spec.commandLine()
        .getOut()
        .printf(
            "tollgate ca: trust domain %s, CSR API on %s:%d, admin on %s:%d, trust bundle %s%n",
            state.trustDomain, bind, ca.port(), bind, admin.port(), ca.rootCertFile());
    spec.commandLine().getOut().flush();
    ShutdownHooks.closeOnExitAndWait("tollgate-ca-shutdown", admin, ca);
    return 0;
  }

  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description =
          "Prints a bootstrap token for one workload identity (a JWT the CA accepts until it expires).")
  static final class Token implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin State state;

    @Option(names = "--namespace", required = true, description = "The workload's namespace.")
    String namespace;

    @Option(
        names = "--service-account",
        required = true,
        description = "The workload's service account.")
    String serviceAccount;

    @Option(
        names = "--ttl",
        defaultValue = "1h",
        description = "How long the token is accepted (default: ${DEFAULT-VALUE}).")
    Duration ttl;

    @Override
    public Integer call() {
      try {
        SpiffeId id = new SpiffeId(state.trustDomain, namespace, serviceAccount);
        String token =
            new BootstrapTokens(
                    CaState.openTokenKey(state.stateDir), state.trustDomain, Clock.systemUTC())
                .issue(id, ttl);
        spec.commandLine().getOut().println(token);
        return 0;
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("tollgate ca token: " + e.getMessage());
        return 2;
      } catch (IOException e) {
        spec.commandLine()
            .getErr()
            .println(
                "tollgate ca token: cannot use the state directory "
                    + state.stateDir
                    + ": "
                    + e.getMessage());
        return 1;
      }
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description =
          "Refuses renewal with a certificate from now on (the running CA rereads its revocations).")
  static final class Revoke implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin State state;

    @Option(
        names = "--serial",
        paramLabel = "HEX",
        description = "Serial number, hexadecimal (as in the CA's audit log).")
    String serial;

    @Option(
        names = "--cert",
        paramLabel = "PEM-FILE",
        description = "Or the certificate itself (the first in the file).")
    Path cert;

    @Option(
        names = "--reason",
        defaultValue = "revoked by an operator",
        description = "Why; kept beside the serial.")
    String reason;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      if ((serial == null) == (cert == null)) {
        err.println("tollgate ca revoke: give exactly one of --serial and --cert");
        return 2;
      }
      try {
        BigInteger s =
            serial != null
                ? new BigInteger(serial.replace(":", ""), 16)
                : Pem.readCertificates(cert).get(0).getSerialNumber();
        if (!Files.isDirectory(state.stateDir)) {
          err.println(
              "tollgate ca revoke: no CA state in " + state.stateDir + " (give --state-dir)");
          return 1;
        }
        new Revocations(state.stateDir).revoke(s, reason);
        spec.commandLine().getOut().println("revoked serial " + s.toString(16));
        return 0;
      } catch (NumberFormatException e) {
        err.println("tollgate ca revoke: --serial must be hexadecimal, not '" + serial + "'");
        return 2;
      } catch (IOException | IllegalArgumentException e) {
        err.println("tollgate ca revoke: " + e.getMessage());
        return 1;
      }
    }
  }
}
