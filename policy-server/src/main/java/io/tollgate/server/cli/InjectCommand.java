package io.tollgate.server.cli;

import io.tollgate.pilot.kube.Injector;
import io.tollgate.pilot.kube.Manifests;
import io.tollgate.pilot.xds.SidecarPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tollgate inject}: adds the Tollgate sidecar to every pod template of a manifest, like
 * istioctl kube-inject.
 */
@Command(
    name = "inject",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the manifest with the Envoy sidecar (tollgate-proxy), the traffic-redirecting init container",
      "(tollgate-init) and the bootstrap volume (ConfigMap tollgate-bootstrap) added to every pod template.",
      "Idempotent; other kinds pass through unchanged; annotate a pod sidecar.tollgate.io/inject: \"false\" to skip it.",
      "The sidecar's ports go to the redirect and to the node metadata pilot-lite builds its listeners from."
    })
final class InjectCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "FILE",
      description = "The manifest (multi-document YAML).")
  Path file;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write here instead of standard output.")
  Path output;

  @Option(
      names = "--proxy-image",
      defaultValue = "envoyproxy/envoy:v1.34.1",
      description = "Sidecar image (default: ${DEFAULT-VALUE}).")
  String proxyImage;

  @Option(
      names = "--init-image",
      defaultValue = "docker.io/istio/proxyv2:1.24.2",
      description = "Image with istio-iptables for the init container (default: ${DEFAULT-VALUE}).")
  String initImage;

  @Option(
      names = "--sidecar-inbound-port",
      defaultValue = "15006",
      paramLabel = "PORT",
      description =
          "Port the sidecar receives the pod's inbound traffic on (istio-iptables -z, node metadata"
              + " TOLLGATE_INBOUND_PORT), unless a pod's sidecar.tollgate.io/inboundPort says otherwise (default: ${DEFAULT-VALUE}).")
  int sidecarInboundPort;

  @Option(
      names = "--sidecar-outbound-port",
      defaultValue = "15001",
      paramLabel = "PORT",
      description =
          "Port the sidecar receives the pod's outbound calls on (istio-iptables -p, node metadata"
              + " TOLLGATE_OUTBOUND_PORT), unless a pod's sidecar.tollgate.io/outboundPort says otherwise (default: ${DEFAULT-VALUE}).")
  int sidecarOutboundPort;

  @Option(
      names = "--sidecar-inbound-address",
      defaultValue = "0.0.0.0",
      paramLabel = "IP",
      description =
          "Address of the sidecar's inbound listener (node metadata TOLLGATE_INBOUND_ADDRESS), unless a pod's"
              + " sidecar.tollgate.io/inboundAddress says otherwise (default: ${DEFAULT-VALUE}).")
  String sidecarInboundAddress;

  @Override
  public Integer call() {
    SidecarPorts ports;
    try {
      ports =
          new SidecarPorts(
              SidecarPorts.port("--sidecar-inbound-port", String.valueOf(sidecarInboundPort)),
              SidecarPorts.port("--sidecar-outbound-port", String.valueOf(sidecarOutboundPort)),
              SidecarPorts.address("--sidecar-inbound-address", sidecarInboundAddress));
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("tollgate inject: " + e.getMessage());
      return 2;
    }
    try {
      String yaml =
          Manifests.write(
              Injector.inject(
                  Manifests.read(file), new Injector.Images(proxyImage, initImage), ports));
      if (output != null) {
        Files.writeString(output, yaml);
      } else {
        spec.commandLine().getOut().print(yaml);
        spec.commandLine().getOut().flush();
      }
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("tollgate inject: " + e.getMessage());
      return 1;
    }
  }
}
