package io.tollgate.pilot;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.tollgate.common.lifecycle.GrpcServers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * {@code XdsServer} is the gRPC server pilot-lite answers on: java-control-plane's discovery
 * services over one cache (ADS, state of the world and delta; CDS, EDS, LDS, RDS and SDS singly)
 * and gRPC health, in plaintext or over TLS.
 */
final class XdsServer implements AutoCloseable {
  private final Server server;

  /** {@code credentials}: TLS for the port, or null for plaintext. */
  XdsServer(
      InetSocketAddress address,
      ServerCredentials credentials,
      ConfigWatcher cache,
      DiscoveryServerCallbacks callbacks) {
    V3DiscoveryServer discovery = new V3DiscoveryServer(callbacks, cache);
    HealthStatusManager health = new HealthStatusManager();
    server =
        (credentials == null
                ? NettyServerBuilder.forAddress(address)
                : NettyServerBuilder.forAddress(address, credentials))
            .addService(discovery.getAggregatedDiscoveryServiceImpl())
            .addService(discovery.getClusterDiscoveryServiceImpl())
            .addService(discovery.getEndpointDiscoveryServiceImpl())
            .addService(discovery.getListenerDiscoveryServiceImpl())
            .addService(discovery.getRouteDiscoveryServiceImpl())
            .addService(discovery.getSecretDiscoveryServiceImpl())
            .addService(health.getHealthService())
            .build();
  }

  void start() throws IOException {
    server.start();
  }

  /** The port it listens on (the one bound, when it was asked for port 0). */
  int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  /** Stops taking calls; those in flight get 5 seconds to finish, then are cancelled. */
  @Override
  public void close() {
    GrpcServers.stop(server, Duration.ofSeconds(5));
  }
}
