package io.tollgate.server.cli;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.citadel.Citadel;
import io.tollgate.citadel.Pem;
import io.tollgate.pilot.PilotServer;
import io.tollgate.pilot.model.MeshException;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.SecretSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code ServeAllOptions} are the options of {@code serve --all}: the certificate authority and,
 * with {@code --mesh}, pilot-lite, run in the policy server's process, and how they start.
 */
final class ServeAllOptions {
  @Option(
      names = "--all",
      description =
          "Also run the certificate authority (as tollgate ca) on --ca-port and, with --mesh,"
              + " pilot-lite (as tollgate pilot) on --xds-port, in this process.")
  boolean all;

  @Option(
      names = "--mesh",
      paramLabel = "DIR",
      description = "With --all: Istio networking files for pilot-lite.")
  Path mesh;

  @Option(
      names = "--xds-port",
      defaultValue = "15010",
      description = "With --all and --mesh: pilot-lite's xDS port (default: ${DEFAULT-VALUE}).")
  int xdsPort;

  @Option(
      names = "--ca-port",
      defaultValue = "15012",
      description = "With --all: the CA's CSR API port (default: ${DEFAULT-VALUE}).")
  int caPort;

  @Option(
      names = "--ca-state-dir",
      defaultValue = "tollgate-ca",
      paramLabel = "DIR",
      description = "With --all: the CA's state directory (default: ${DEFAULT-VALUE}).")
  Path caStateDir;

  @Option(
      names = "--trust-domain",
      defaultValue = "cluster.local",
      description = "With --all: trust domain of workload identities (default: ${DEFAULT-VALUE}).")
  String trustDomain;

  /** Whether the CA runs in this process. */
  boolean runsCa() {
    return all;
  }

  /** Whether pilot-lite runs in this process. */
  boolean runsPilot() {
    return all && mesh != null;
  }

  /** Starts the CA as {@code tollgate ca} would, on {@code bind}. */
  Citadel startCa(String bind, PrometheusRegistry registry) throws IOException {
    return Citadel.start(
        new Citadel.Settings(
            caStateDir,
            null,
            trustDomain,
            Duration.ofHours(24),
            Duration.ofDays(90),
            bind,
            caPort,
            List.of("localhost", bind)),
        registry,
        Clock.systemUTC());
  }

  /**
   * Starts pilot-lite on {@code bind}, its sidecars asking the policy server on {@code policyPort};
   * {@code ca} (or {@code null}) supplies the trust bundle.
   */
  PilotServer startPilot(
      String bind, Duration reloadInterval, int policyPort, Citadel ca, PrometheusRegistry registry)
      throws MeshException, IOException {
    return PilotServer.start(
        new PilotServer.Settings(
            mesh,
            bind,
            xdsPort,
            reloadInterval,
            PolicyWiring.of(bind + ":" + policyPort, false, Duration.ofMillis(200), "mesh"),
            trustBundle(ca)),
        registry);
  }

  /**
   * pilot-lite's SDS serves the CA's roots as {@code ROOTCA}; workload keys come from each
   * workload's agent.
   */
  static SecretSource trustBundle(Citadel ca) {
    if (ca == null) {
      return SecretSource.NONE;
    }
    Secret root =
        Secret.newBuilder()
            .setName("ROOTCA")
            .setValidationContext(
                CertificateValidationContext.newBuilder()
                    .setTrustedCa(
                        DataSource.newBuilder()
                            .setInlineString(Pem.encode(ca.authority().trustBundle()))))
            .build();
    return host -> List.of(root);
  }
}
