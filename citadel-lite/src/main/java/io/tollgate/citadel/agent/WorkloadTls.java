package io.tollgate.citadel.agent;

import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.tollgate.citadel.CertificateAuthority;
import io.tollgate.citadel.SpiffeId;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.common.lifecycle.FatalErrors;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS for a grpc-java workload from the agent's files: key managers and trust managers that
 * follow {@link CertificateFiles} (checked every {@code period}), so a rotated certificate is
 * served without a restart, and the caller's SPIFFE ID for every call ({@link #PEER_IDENTITY}).
 * Peers are verified by chain to the trust bundle, not by host name: identities are SPIFFE IDs.
 */
public final class WorkloadTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkloadTls.class);

  /** The verified caller's identity, set by {@link #peerIdentity()}; null when it has none. */
  public static final Context.Key<SpiffeId> PEER_IDENTITY = Context.key("tollgate-peer-identity");

  private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
  private final AdvancedTlsX509TrustManager trust;
  private final CertificateFiles files;
  private final ScheduledExecutorService watcher;
  private volatile String version;

  private WorkloadTls(CertificateFiles files, Duration period)
      throws IOException, GeneralSecurityException {
    this.files = files;
    trust =
        AdvancedTlsX509TrustManager.newBuilder()
            .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
            .build();
    if (!reload()) {
      throw new IOException("no credentials in " + files.dir() + " yet; run the agent first");
    }
    watcher = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("tollgate-tls-files"));
    watcher.scheduleWithFixedDelay(
        FatalErrors.guard(
            "the rotated-credentials watch",
            () -> {
              try {
                reload();
              } catch (IOException | GeneralSecurityException | RuntimeException e) {
                log.warn(
                    "cannot load the rotated credentials in {}; the current ones stay: {}",
                    files.dir(),
                    e.getMessage());
              }
            }),
        period.toMillis(),
        period.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Loads the current version when it changed. (grpc-java's own file watchers poll at most once a
   * minute and read key and certificate separately; following the version link is both cheaper and
   * never mixes two versions.)
   */
  private boolean reload() throws IOException, GeneralSecurityException {
    String current = files.version().orElse(null);
    if (current == null || current.equals(version)) {
      return current != null;
    }
    CertificateFiles.Bundle b = files.read().orElse(null);
    if (b == null) {
      return false;
    }
    keys.updateIdentityCredentials(b.chain().toArray(X509Certificate[]::new), b.key());
    trust.updateTrustCredentials(b.roots().toArray(X509Certificate[]::new));
    version = current;
    return true;
  }

  /**
   * Follows the credentials in {@code files} (which must exist), checking for a new version every
   * {@code period}.
   */
  public static WorkloadTls watch(CertificateFiles files, Duration period) throws IOException {
    try {
      return new WorkloadTls(files, period);
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "cannot load the workload credentials in " + files.dir() + ": " + e.getMessage(), e);
    }
  }

  /** Server side: a client certificate from the same trust bundle is required. */
  public ServerCredentials serverCredentials() {
    return TlsServerCredentials.newBuilder()
        .keyManager(keys)
        .trustManager(trust)
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
  }

  public ChannelCredentials channelCredentials() {
    return TlsChannelCredentials.newBuilder().keyManager(keys).trustManager(trust).build();
  }

  /** Puts the verified caller's SPIFFE ID into {@link #PEER_IDENTITY} for every call. */
  public static ServerInterceptor peerIdentity() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SpiffeId id = identityOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        return Contexts.interceptCall(
            Context.current().withValue(PEER_IDENTITY, id), call, headers, next);
      }
    };
  }

  static SpiffeId identityOf(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      return CertificateAuthority.spiffeIdOf((X509Certificate) session.getPeerCertificates()[0]);
    } catch (SSLPeerUnverifiedException | IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public void close() {
    watcher.shutdownNow();
  }
}
