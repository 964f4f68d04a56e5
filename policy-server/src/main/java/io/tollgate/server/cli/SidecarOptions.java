package io.tollgate.server.cli;

import io.tollgate.pilot.kube.Injector;
import io.tollgate.pilot.xds.SidecarPorts;
import picocli.CommandLine.Option;

/**
 * {@code SidecarOptions} describe the sidecar: the images injection adds and the ports it redirects
 * to, which pilot-lite also builds a sidecar's listeners on when its node metadata names none. The
 * options {@code pilot} (its injection webhook) and {@code inject} share.
 */
final class SidecarOptions {
  @Option(
      names = "--proxy-image",
      defaultValue = "envoyproxy/envoy:v1.34.1",
      description = "Sidecar image injection adds (default: ${DEFAULT-VALUE}).")
  String proxyImage;

  @Option(
      names = "--init-image",
      defaultValue = "docker.io/istio/proxyv2:1.24.2",
      description =
          "Image with istio-iptables for the injected init container (default: ${DEFAULT-VALUE}).")
  String initImage;

  @Option(
      names = "--sidecar-inbound-port",
      defaultValue = "15006",
      paramLabel = "PORT",
      description =
          "Port the sidecar receives the pod's inbound traffic on (istio-iptables -z): injected unless a pod's"
              + " sidecar.tollgate.io/inboundPort says otherwise, and pilot-lite's inbound listener port for sidecars whose"
              + " node metadata has no TOLLGATE_INBOUND_PORT (default: ${DEFAULT-VALUE}).")
  int sidecarInboundPort;

  @Option(
      names = "--sidecar-outbound-port",
      defaultValue = "15001",
      paramLabel = "PORT",
      description =
          "Port (on 127.0.0.1) the sidecar receives the pod's outbound calls on (istio-iptables -p): injected unless a"
              + " pod's sidecar.tollgate.io/outboundPort says otherwise, and pilot-lite's outbound listener port for"
              + " sidecars whose node metadata has no TOLLGATE_OUTBOUND_PORT (default: ${DEFAULT-VALUE}).")
  int sidecarOutboundPort;

  @Option(
      names = "--sidecar-inbound-address",
      defaultValue = "0.0.0.0",
      paramLabel = "IP",
      description =
          "Address of the sidecar's inbound listener: injected unless a pod's sidecar.tollgate.io/inboundAddress says"
              + " otherwise, and pilot-lite's for sidecars whose node metadata has no TOLLGATE_INBOUND_ADDRESS"
              + " (default: ${DEFAULT-VALUE}).")
  String sidecarInboundAddress;

  /**
   * The sidecar ports these options give.
   *
   * @throws IllegalArgumentException naming the option that is out of range
   */
  SidecarPorts ports() {
    return new SidecarPorts(
        SidecarPorts.port("--sidecar-inbound-port", String.valueOf(sidecarInboundPort)),
        SidecarPorts.port("--sidecar-outbound-port", String.valueOf(sidecarOutboundPort)),
        SidecarPorts.address("--sidecar-inbound-address", sidecarInboundAddress));
  }

  Injector.Images images() {
    return new Injector.Images(proxyImage, initImage);
  }
}
