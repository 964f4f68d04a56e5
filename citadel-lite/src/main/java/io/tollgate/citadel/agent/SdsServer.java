package io.tollgate.citadel.agent;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.tollgate.citadel.Pem;
import io.tollgate.common.lifecycle.GrpcServers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's Secret Discovery Service for the workload beside the agent, as istio-agent serves it:
 * secret {@value #WORKLOAD} is the certificate chain and key, {@value #ROOT} the trust bundle.
 * Every rotation pushes a new version to connected proxies. It listens on a Unix domain socket
 * (mode 0600, in a directory it creates 0700), never on a network port, because its answers carry
 * the private key.
 */
public final class SdsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SdsServer.class);
  public static final String WORKLOAD = "default";
  public static final String ROOT = "ROOTCA";
  private static final String GROUP = "workload";

  private final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
  private final Server server;
  private final EventLoopGroup loop;
  private final Path socket;

  private SdsServer(Path socket) throws IOException {
    this.socket = socket;
    Files.deleteIfExists(socket);
    Path dir = socket.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      // Owner-only from the start: the socket itself is chmodded only after it is bound.
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    V3DiscoveryServer discovery = new V3DiscoveryServer(cache);
    loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(loop)
            .workerEventLoopGroup(loop)
            .addService(discovery.getSecretDiscoveryServiceImpl())
            .addService(discovery.getAggregatedDiscoveryServiceImpl())
            .build()
            .start();
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    cache.setSnapshot(GROUP, Snapshot.createEmpty("0"));
  }

  /** Serves SDS on the Unix socket {@code socket} and follows {@code agent}'s rotations. */
  public static SdsServer start(Path socket, WorkloadAgent agent) throws IOException {
    SdsServer sds = new SdsServer(socket);
    agent.onRotation(sds::update);
    log.info("SDS serving secrets '{}' and '{}' on unix:{}", WORKLOAD, ROOT, socket);
    return sds;
  }

  void update(CertificateFiles.Bundle bundle) {
    Secret workload =
        Secret.newBuilder()
            .setName(WORKLOAD)
            .setTlsCertificate(
                TlsCertificate.newBuilder()
                    .setCertificateChain(
                        DataSource.newBuilder().setInlineString(Pem.encode(bundle.chain())))
                    .setPrivateKey(
                        DataSource.newBuilder().setInlineString(Pem.encode(bundle.key()))))
            .build();
    Secret root =
        Secret.newBuilder()
            .setName(ROOT)
            .setValidationContext(
                CertificateValidationContext.newBuilder()
                    .setTrustedCa(
                        DataSource.newBuilder().setInlineString(Pem.encode(bundle.roots()))))
            .build();
    String version = bundle.certificate().getSerialNumber().toString(16);
    cache.setSnapshot(
        GROUP,
        Snapshot.create(
            List.of(), List.of(), List.of(), List.of(), List.of(workload, root), version));
  }

  @Override
  public void close() {
    GrpcServers.stop(server, Duration.ofSeconds(5));
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      log.debug("cannot remove {}: {}", socket, e.getMessage());
    }
  }
}
