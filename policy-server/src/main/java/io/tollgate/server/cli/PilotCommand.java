package io.tollgate.server.cli;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.common.lifecycle.ShutdownHooks;
import io.tollgate.pilot.PilotServer;
import io.tollgate.pilot.kube.InjectionWebhook;
import io.tollgate.pilot.model.MeshException;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.SidecarPorts;
import io.tollgate.server.admin.AdminServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tollgate pilot}: pilot-lite, the xDS control plane for Envoy and proxyless gRPC. */
@Command(
    name = "pilot",
    mixinStandardHelpOptions = true,
    description = {
      "Serves xDS (ADS, state of the world and delta) from a directory of Istio ServiceEntry, VirtualService",
      "and DestinationRule files, reloaded when they change (a version that does not validate is refused and",
      "the last good one keeps serving). Requests pass the policy server (--policy-address): ext_authz, rate limit",
      "and access log in every Envoy sidecar's inbound listener; ext_authz on proxyless routes with --proxyless-ext-authz.",
      "Admin: /healthz /readyz /metrics /mesh on --admin-port."
    })
final class PilotCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--mesh",
      required = true,
      paramLabel = "DIR",
      description = "Directory of Istio networking YAML files.")
  Path mesh;

  @Option(
      names = "--bind",
      converter = Addresses.Bind.class,
      defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--port",
      defaultValue = "15010",
      description = "xDS port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(
      names = "--admin-port",
      defaultValue = "15018",
      description = "Admin port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int adminPort;

  @Option(
      names = "--reload-interval",
      defaultValue = "1s",
      description = "How often the files are checked; 0s: never (default: ${DEFAULT-VALUE}).")
  Duration reloadInterval;

  @Option(
      names = "--reload-settle",
      defaultValue = "300ms",
      description =
          "How long changed files must stay the same before a version is built from them, so a file being written"
              + " is never read half-written (default: ${DEFAULT-VALUE}).")
  Duration reloadSettle;

  @CommandLine.Mixin SidecarOptions sidecar;

  @Option(
      names = "--policy-address",
      converter = Addresses.HostPortOrEmpty.class,
      defaultValue = "127.0.0.1:9091",
      paramLabel = "HOST:PORT",
      description =
          "The policy server's gRPC address for ext_authz, rate limits and access logs; empty turns the filters off"
              + " (default: ${DEFAULT-VALUE}).")
  String policyAddress;

  @Option(
      names = "--policy-failure-mode-allow",
      defaultValue = "false",
      arity = "1",
      paramLabel = "true|false",
      description =
          "Let requests through when the policy server does not answer (default: ${DEFAULT-VALUE}).")
  boolean failureModeAllow;

  @Option(
      names = "--policy-timeout",
      defaultValue = "200ms",
      description = "Deadline of one check (default: ${DEFAULT-VALUE}).")
  Duration policyTimeout;

  @Option(
      names = "--proxyless-ext-authz",
      defaultValue = "false",
      arity = "1",
      paramLabel = "true|false",
      description =
          "Also put ext_authz on proxyless gRPC routes (gRFC A92; grpc-java 1.85.1 clients need"
              + " GRPC_EXPERIMENTAL_XDS_EXT_AUTHZ_ON_CLIENT and then cancel allowed calls, see the README) (default: ${DEFAULT-VALUE}).")
  boolean proxylessExtAuthz;

  @Option(
      names = "--ratelimit-domain",
      defaultValue = "mesh",
      description = "Rate-limit domain of the sidecars' descriptors (default: ${DEFAULT-VALUE}).")
  String rateLimitDomain;

  @Option(
      names = "--ratelimit-descriptor",
      paramLabel = "HEADER=KEY",
      description =
          "A request header that becomes a rate-limit descriptor entry (repeatable; default :path=path). "
              + "Every descriptor also has destination=<the workload's host>.")
  java.util.List<String> rateLimitDescriptors = new java.util.ArrayList<>();

  @Option(
      names = "--tls-cert",
      paramLabel = "PEM-FILE",
      description = "Serve xDS over TLS with this certificate chain (and --tls-key).")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "PEM-FILE",
      description = "The xDS server's private key (PEM).")
  Path tlsKey;

  @Option(
      names = "--tls-client-ca",
      paramLabel = "PEM-FILE",
      description =
          "With --tls-cert: require proxies to present a certificate from these roots (the mesh CA's root-cert.pem).")
  Path tlsClientCa;

  @Option(
      names = "--webhook-port",
      defaultValue = "15017",
      description =
          "Port of the sidecar injection webhook, served when --webhook-tls-cert and --webhook-tls-key are given"
              + " (default: ${DEFAULT-VALUE}).")
  int webhookPort;

  @Option(
      names = "--webhook-tls-cert",
      paramLabel = "PEM-FILE",
      description = "The webhook's certificate chain (PEM).")
  Path webhookCert;

  @Option(
      names = "--webhook-tls-key",
      paramLabel = "PEM-FILE",
      description = "The webhook's private key (PEM).")
  Path webhookKey;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isDirectory(mesh)) {
      err.println(
          "tollgate pilot: mesh directory " + mesh + " does not exist or is not a directory");
      return 1;
    }
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    PolicyWiring wiring;
    SidecarPorts sidecarPorts;
    try {
      wiring =
          PolicyWiring.of(
                  policyAddress,
                  failureModeAllow,
                  policyTimeout,
                  rateLimitDomain,
                  rateLimitDescriptors)
              .withProxylessExtAuthz(proxylessExtAuthz);
      sidecarPorts = sidecar.ports();
      if (reloadSettle.isNegative()) {
        throw new IllegalArgumentException("--reload-settle must not be negative: " + reloadSettle);
      }
    } catch (IllegalArgumentException e) {
      err.println("tollgate pilot: " + e.getMessage());
      return 2;
    }
    io.grpc.ServerCredentials credentials = null;
    if ((tlsCert == null) != (tlsKey == null) || (tlsClientCa != null && tlsCert == null)) {
      err.println(
          "tollgate pilot: give --tls-cert and --tls-key together (and --tls-client-ca only with them)");
      return 2;
    }
    if (tlsCert != null) {
      try {
        var tls =
            io.grpc.TlsServerCredentials.newBuilder().keyManager(tlsCert.toFile(), tlsKey.toFile());
        if (tlsClientCa != null) {
          tls.trustManager(tlsClientCa.toFile())
              .clientAuth(io.grpc.TlsServerCredentials.ClientAuth.REQUIRE);
        }
        credentials = tls.build();
      } catch (IOException e) {
        err.println("tollgate pilot: cannot read the TLS files: " + e.getMessage());
        return 1;
      }
    }
    PilotServer pilot;
    try {
      pilot =
          PilotServer.start(
              new PilotServer.Settings(
                  mesh,
                  bind,
                  port,
                  reloadInterval,
                  wiring,
                  io.tollgate.pilot.xds.SecretSource.NONE,
                  credentials,
                  sidecarPorts,
                  reloadSettle),
              registry);
    } catch (MeshException e) {
      err.println("tollgate pilot: the mesh does not load; nothing started:");
      e.problems().forEach(p -> err.println("  " + p));
      return 1;
    } catch (IOException e) {
      err.println("tollgate pilot: cannot serve on " + bind + ":" + port + ": " + e.getMessage());
      return 1;
    }
    AdminServer admin;
    try {
      admin = new AdminServer(new InetSocketAddress(bind, adminPort), null, registry, () -> "", "");
      admin.json(
          "/mesh",
          () -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("version", pilot.version());
            m.put("lastReloadProblems", pilot.lastProblems());
            return m;
          });
    } catch (IOException e) {
      pilot.close();
      err.println(
          "tollgate pilot: cannot listen on "
              + bind
              + ":"
              + adminPort
              + " (choose another --admin-port): "
              + e.getMessage());
      return 1;
    }
    InjectionWebhook webhook = null;
    if ((webhookCert == null) != (webhookKey == null)) {
      err.println("tollgate pilot: give both --webhook-tls-cert and --webhook-tls-key, or neither");
      admin.close();
      pilot.close();
      return 2;
    }
    if (webhookCert != null) {
      try {
        webhook =
            InjectionWebhook.start(
                new InetSocketAddress(bind, webhookPort),
                TlsFiles.serverContext(webhookCert, webhookKey),
                sidecar.images(),
                sidecarPorts,
                registry);
      } catch (IOException e) {
        err.println("tollgate pilot: the injection webhook cannot start: " + e.getMessage());
        admin.close();
        pilot.close();
        return 1;
      }
    }
    admin.start();
    spec.commandLine()
        .getOut()
        .printf(
            "tollgate pilot: xDS on %s:%d, admin on %s:%d, mesh %s version %s%s%n",
            bind,
            pilot.port(),
            bind,
            admin.port(),
            mesh,
            pilot.version(),
            webhook == null
                ? ""
                : ", injection webhook on https://" + bind + ":" + webhook.port() + "/inject");
    InjectionWebhook injection = webhook;
    spec.commandLine().getOut().flush();
    ShutdownHooks.closeOnExitAndWait("tollgate-pilot-shutdown", injection, admin, pilot);
    return 0;
  }
}
