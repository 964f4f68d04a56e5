package io.tollgate.citadel;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.common.lifecycle.GrpcServers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's gRPC endpoint: Istio's CSR API (and gRPC health) over TLS. Its own certificate is issued
 * by the CA it serves (identity {@code spiffe://<td>/ns/tollgate-system/sa/tollgate-ca} plus {@code
 * hosts}), so agents verify it with the trust bundle alone; it is renewed daily. Client
 * certificates are requested but optional: the TLS layer accepts any, and {@link
 * CertificateService} verifies them against the CA with a precise reason when they do not pass.
 */
public final class CaServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CaServer.class);
  static final Duration SERVING_TTL = Duration.ofDays(7);
  static final Duration SERVING_RENEWAL = Duration.ofDays(1);

  private final Server server;
  private final ScheduledExecutorService renewals;

  private CaServer(Server server, ScheduledExecutorService renewals) {
    this.server = server;
    this.renewals = renewals;
  }

  /** Listens on {@code bind:port} (0: any free port); {@code hosts} are the names agents dial. */
  public static CaServer start(
      CertificateAuthority ca,
      CertificateService service,
      String bind,
      int port,
      List<String> hosts)
      throws IOException {
    SpiffeId self = new SpiffeId(ca.settings().trustDomain(), "tollgate-system", "tollgate-ca");
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    Runnable renew =
        () -> {
          KeyPair key = KeyType.EC_P256.generate();
          CertificateAuthority.Issued serving =
              ca.issueServing(self, key.getPublic(), hosts, SERVING_TTL);
          keys.updateIdentityCredentials(
              serving.chain().toArray(X509Certificate[]::new), key.getPrivate());
          log.info(
              "CA serving certificate for {} {} valid until {}",
              self,
              hosts,
              serving.certificate().getNotAfter().toInstant());
        };
    renew.run();
    AdvancedTlsX509TrustManager clients;
    try {
      clients =
          AdvancedTlsX509TrustManager.newBuilder()
              .setVerification(
                  AdvancedTlsX509TrustManager.Verification.INSECURELY_SKIP_ALL_VERIFICATION)
              .build();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS: " + e.getMessage(), e);
    }
    TlsServerCredentials.Builder tls =
        TlsServerCredentials.newBuilder()
            .keyManager(keys)
            .trustManager(clients)
            .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(bind, port), tls.build())
            .addService(ServerInterceptors.intercept(service, CertificateService.credentials()))
            .addService(new HealthStatusManager().getHealthService())
            .maxInboundMessageSize(256 * 1024)
            .build()
            .start();
    ScheduledExecutorService renewals =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.named("tollgate-ca-serving-renewal"));
    renewals.scheduleAtFixedRate(
        FatalErrors.guard(
            "the CA's serving-certificate renewal",
            () -> {
              try {
                renew.run();
              } catch (RuntimeException e) {
                log.error(
                    "renewing the CA's serving certificate failed; the current one stays (valid {} from issuance)",
                    SERVING_TTL,
                    e);
              }
            }),
        SERVING_RENEWAL.toMinutes(),
        SERVING_RENEWAL.toMinutes(),
        TimeUnit.MINUTES);
    return new CaServer(server, renewals);
  }

  public int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  @Override
  public void close() {
    renewals.shutdownNow();
    GrpcServers.stop(server, Duration.ofSeconds(5));
  }
}
