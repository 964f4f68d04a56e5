package io.tollgate.citadel;

import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.tollgate.citadel.agent.WorkloadAgent;
import io.tollgate.citadel.api.IstioCertificateServiceGrpc;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** A CA on a free loopback port in a temporary state directory, and ways to call it. */
final class CaFixture implements AutoCloseable {
  static final String TD = "cluster.local";
  final PrometheusRegistry registry = new PrometheusRegistry();
  final Path stateDir;
  final Citadel citadel;

  CaFixture(Path stateDir, int port) throws IOException {
    this.stateDir = stateDir;
    citadel =
        Citadel.start(
            new Citadel.Settings(
                stateDir,
                null,
                TD,
                Duration.ofHours(24),
                Duration.ofHours(48),
                "127.0.0.1",
                port,
                List.of("localhost", "127.0.0.1")),
            registry,
            Clock.systemUTC());
  }

  String target() {
    return "127.0.0.1:" + citadel.port();
  }

  String token(String ns, String sa) {
    return citadel.tokens().issue(new SpiffeId(TD, ns, sa), Duration.ofHours(1));
  }

  WorkloadAgent.Settings agent(Path out, String token, Duration ttl) {
    return new WorkloadAgent.Settings(
        target(),
        citadel.rootCertFile(),
        token,
        null,
        out,
        KeyType.EC_P256,
        ttl,
        0.5,
        Duration.ofSeconds(2));
  }

  /**
   * A stub authenticated by {@code token} (may be null), or by the client certificate when given.
   */
  IstioCertificateServiceGrpc.IstioCertificateServiceBlockingStub stub(
      ManagedChannel ch, String token) {
    var stub =
        IstioCertificateServiceGrpc.newBlockingStub(ch).withDeadlineAfter(20, TimeUnit.SECONDS);
    if (token == null) {
      return stub;
    }
    return stub.withCallCredentials(
        new CallCredentials() {
          @Override
          public void applyRequestMetadata(
              RequestInfo info, Executor executor, MetadataApplier applier) {
            Metadata m = new Metadata();
            m.put(
                Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                "Bearer " + token);
            applier.apply(m);
          }
        });
  }

  ManagedChannel channel(List<X509Certificate> clientChain, PrivateKey clientKey)
      throws IOException {
    TlsChannelCredentials.Builder tls =
        TlsChannelCredentials.newBuilder().trustManager(citadel.rootCertFile().toFile());
    if (clientChain != null) {
      AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
      keys.updateIdentityCredentials(clientChain.toArray(X509Certificate[]::new), clientKey);
      tls.keyManager(keys);
    }
    return NettyChannelBuilder.forTarget(target(), tls.build()).build();
  }

  double issued(String auth) {
    return counter("tollgate_ca_certificates_issued", "auth", auth);
  }

  double refused(String reason) {
    return counter("tollgate_ca_requests_refused", "reason", reason);
  }

  private double counter(String name, String label, String value) {
    for (var snapshot : registry.scrape().stream().toList()) {
      if (snapshot instanceof CounterSnapshot c && c.getMetadata().getName().equals(name)) {
        return c.getDataPoints().stream()
            .filter(d -> value.equals(d.getLabels().get(label)))
            .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue)
            .sum();
      }
    }
    return 0;
  }

  @Override
  public void close() {
    citadel.close();
  }
}
