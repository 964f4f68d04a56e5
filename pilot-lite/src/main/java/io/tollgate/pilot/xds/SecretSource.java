package io.tollgate.pilot.xds;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import java.util.List;

/**
 * Where pilot-lite's SDS gets secrets for the sidecars of one ServiceEntry host. pilot-lite does
 * not import the CA: the process that runs both wires one in. Only what may cross the network
 * without the workload authenticating belongs here, such as the trust bundle ({@code ROOTCA});
 * workload keys reach Envoy from the agent beside it, over its Unix socket.
 */
@FunctionalInterface
public interface SecretSource {
  SecretSource NONE = host -> List.of();

  List<Secret> secretsFor(String serviceHost);
}
