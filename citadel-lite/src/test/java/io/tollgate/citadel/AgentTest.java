package io.tollgate.citadel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.secret.v3.SecretDiscoveryServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tollgate.citadel.agent.CertificateFiles;
import io.tollgate.citadel.agent.SdsServer;
import io.tollgate.citadel.agent.WorkloadAgent;
import io.tollgate.citadel.agent.WorkloadTls;
import io.tollgate.testing.FreePorts;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent against a real CA: rotation seen by a running gRPC server, retries while the CA is
 * down, SDS.
 */
class AgentTest {
  @TempDir Path dir;

  /**
   * A health service over mutual TLS from the agent's files; remembers which certificate it served.
   */
  static final class TlsServer implements AutoCloseable {
    final Server server;
    final WorkloadTls tls;

    TlsServer(CertificateFiles files) throws Exception {
      tls = WorkloadTls.watch(files, Duration.ofMillis(100));
      server =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress("127.0.0.1", 0), tls.serverCredentials())
              .addService(
                  ServerInterceptors.intercept(
                      new HealthGrpc.HealthImplBase() {
                        @Override
                        public void check(
                            HealthCheckRequest request,
                            StreamObserver<HealthCheckResponse> response) {
                          response.onNext(
                              HealthCheckResponse.newBuilder()
                                  .setStatus(HealthCheckResponse.ServingStatus.SERVING)
                                  .build());
                          response.onCompleted();
                        }
                      },
                      WorkloadTls.peerIdentity()))
              .build()
              .start();
    }

    int port() {
      return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    @Override
    public void close() {
      server.shutdownNow();
      tls.close();
    }
  }

  /** Connects afresh and returns the serial of the certificate the server presented. */
  static BigInteger servedSerial(WorkloadTls client, int port) {
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", port, client.channelCredentials()).build();
    try {
      AtomicReference<SSLSession> session = new AtomicReference<>();
      HealthGrpc.newBlockingStub(ch)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .withInterceptors(
              new io.grpc.ClientInterceptor() {
                @Override
                public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(
                    io.grpc.MethodDescriptor<Q, R> m, io.grpc.CallOptions o, io.grpc.Channel next) {
                  return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(
                      next.newCall(m, o)) {
                    @Override
                    public void start(Listener<R> listener, io.grpc.Metadata headers) {
                      super.start(
                          new io.grpc.ForwardingClientCallListener
                              .SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onHeaders(io.grpc.Metadata h) {
                              session.set(getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                              super.onHeaders(h);
                            }
                          },
                          headers);
                    }
                  };
                }
              })
          .check(HealthCheckRequest.getDefaultInstance());
      return ((X509Certificate) session.get().getPeerCertificates()[0]).getSerialNumber();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      throw new AssertionError(e);
    } finally {
      ch.shutdownNow();
    }
  }

  static boolean keyMatches(CertificateFiles.Bundle b) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(b.key());
    s.update(new byte[] {1});
    byte[] sig = s.sign();
    s.initVerify(b.certificate().getPublicKey());
    s.update(new byte[] {1});
    return s.verify(sig);
  }

  @Test
  void rotationIsServedByARunningServerAndReadersNeverSeeAMixedPair() throws Exception {
    try (CaFixture ca = new CaFixture(dir.resolve("ca"), 0);
        WorkloadAgent server =
            new WorkloadAgent(
                ca.agent(
                    dir.resolve("ratings"), ca.token("shop", "ratings"), Duration.ofSeconds(3)),
                Clock.systemUTC());
        WorkloadAgent client =
            new WorkloadAgent(
                ca.agent(
                    dir.resolve("frontend"), ca.token("shop", "frontend"), Duration.ofHours(1)),
                Clock.systemUTC())) {
      server.fetch();
      client.fetch();
      // A reader that checks, as often as it can, that key and certificate on disk belong together.
      AtomicBoolean reading = new AtomicBoolean(true);
      AtomicInteger mixed = new AtomicInteger();
      AtomicInteger reads = new AtomicInteger();
      Thread reader =
          new Thread(
              () -> {
                while (reading.get()) {
                  server
                      .files()
                      .read()
                      .ifPresent(
                          b -> {
                            try {
                              reads.incrementAndGet();
                              if (!keyMatches(b)) {
                                mixed.incrementAndGet();
                              }
                            } catch (Exception e) {
                              mixed.incrementAndGet();
                            }
                          });
                }
              });
      reader.start();
      try (TlsServer ratings = new TlsServer(server.files());
          WorkloadTls frontend = WorkloadTls.watch(client.files(), Duration.ofMillis(100))) {
        server.start();
        Set<BigInteger> served = new HashSet<>();
        served.add(servedSerial(frontend, ratings.port()));
        // 3 s certificates renewed at half their life: the running server presents at least three.
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  served.add(servedSerial(frontend, ratings.port()));
                  return served.size() >= 3;
                });
      } finally {
        reading.set(false);
        reader.join();
      }
      assertThat(reads.get()).isGreaterThan(10);
      assertThat(mixed.get())
          .as("reads that saw a key and a certificate from different versions")
          .isZero();
      assertThat(ca.issued("certificate")).isGreaterThanOrEqualTo(2);
      // Old versions are cleaned up: one version directory remains.
      try (var versions = Files.newDirectoryStream(dir.resolve("ratings"), "..v*")) {
        assertThat(versions).hasSize(1);
      }
    }
  }

  @Test
  void theAgentRetriesWhileTheCaIsDownAndGetsItsCertificateWhenItComesUp() throws Exception {
    int port = FreePorts.next();
    Path out = dir.resolve("cart");
    // The token and the trust bundle come from a CA state that exists before the CA serves.
    String token;
    try (CaFixture first = new CaFixture(dir.resolve("ca"), 0)) {
      token = first.token("shop", "cart");
    }
    WorkloadAgent.Settings settings =
        new WorkloadAgent.Settings(
            "127.0.0.1:" + port,
            dir.resolve("ca/root-cert.pem"),
            token,
            null,
            out,
            KeyType.EC_P256,
            Duration.ofHours(1),
            0.5,
            Duration.ofSeconds(1));
    try (WorkloadAgent agent = new WorkloadAgent(settings, Clock.systemUTC())) {
      agent.start();
      var firstRetry =
          await()
              .atMost(Duration.ofSeconds(10))
              .until(agent::nextRenewal, r -> r.isPresent())
              .orElseThrow();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> agent.nextRenewal().orElseThrow().isAfter(firstRetry));
      assertThat(agent.files().read()).isEmpty();
      try (CaFixture ca = new CaFixture(dir.resolve("ca"), port)) {
        await().atMost(Duration.ofSeconds(20)).until(() -> agent.files().read().isPresent());
        assertThat(
                CertificateAuthority.spiffeIdOf(agent.files().read().orElseThrow().certificate()))
            .isEqualTo(new SpiffeId(CaFixture.TD, "shop", "cart"));
        assertThat(ca.issued("token")).as("issued by the CA that came up").isPositive();
      }
    }
  }

  @Test
  void sdsServesTheWorkloadCertificateAndRootAndPushesRotations() throws Exception {
    Path socket = dir.resolve("sds/socket");
    try (CaFixture ca = new CaFixture(dir.resolve("ca"), 0);
        WorkloadAgent agent =
            new WorkloadAgent(
                ca.agent(dir.resolve("cart"), ca.token("shop", "cart"), Duration.ofHours(1)),
                Clock.systemUTC())) {
      CertificateFiles.Bundle first = agent.fetch();
      SdsServer sds = SdsServer.start(socket, agent);
      try {
        assertThat(Files.getPosixFilePermissions(socket))
            .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(socket.getParent()))
            .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        ManagedChannel ch =
            Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
        BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
        var requests =
            SecretDiscoveryServiceGrpc.newStub(ch)
                .streamSecrets(
                    new StreamObserver<>() {
                      @Override
                      public void onNext(DiscoveryResponse r) {
                        responses.add(r);
                      }

                      @Override
                      public void onError(Throwable t) {}

                      @Override
                      public void onCompleted() {}
                    });
        String type = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
        DiscoveryRequest.Builder ask =
            DiscoveryRequest.newBuilder()
                .setNode(Node.newBuilder().setId("sidecar~10.0.0.1~cart.shop"))
                .setTypeUrl(type)
                .addResourceNames(SdsServer.WORKLOAD)
                .addResourceNames(SdsServer.ROOT);
        requests.onNext(ask.build());
        DiscoveryResponse r1 = responses.poll(10, TimeUnit.SECONDS);
        assertThat(r1).isNotNull();
        Secret workload = secret(r1, SdsServer.WORKLOAD);
        assertThat(
                Pem.certificates(
                        workload.getTlsCertificate().getCertificateChain().getInlineString())
                    .get(0))
            .isEqualTo(first.certificate());
        assertThat(Pem.privateKey(workload.getTlsCertificate().getPrivateKey().getInlineString()))
            .isEqualTo(first.key());
        assertThat(
                Pem.certificates(
                    secret(r1, SdsServer.ROOT)
                        .getValidationContext()
                        .getTrustedCa()
                        .getInlineString()))
            .isEqualTo(first.roots());
        // ACK, then rotate: the proxy gets the new certificate without asking again.
        requests.onNext(
            ask.setVersionInfo(r1.getVersionInfo()).setResponseNonce(r1.getNonce()).build());
        CertificateFiles.Bundle second = agent.fetch();
        DiscoveryResponse r2 = responses.poll(10, TimeUnit.SECONDS);
        assertThat(r2).isNotNull();
        assertThat(r2.getVersionInfo()).isNotEqualTo(r1.getVersionInfo());
        assertThat(
                Pem.certificates(
                        secret(r2, SdsServer.WORKLOAD)
                            .getTlsCertificate()
                            .getCertificateChain()
                            .getInlineString())
                    .get(0))
            .isEqualTo(second.certificate());
        requests.onCompleted();
        ch.shutdownNow();
      } finally {
        sds.close();
      }
      assertThat(socket).as("closing removes the socket").doesNotExist();
    }
  }

  static Secret secret(DiscoveryResponse r, String name) throws Exception {
    for (var any : r.getResourcesList()) {
      Secret s = any.unpack(Secret.class);
      if (s.getName().equals(name)) {
        return s;
      }
    }
    throw new AssertionError(
        "no secret " + name + " in " + r.getResourcesList().size() + " resources");
  }
}
