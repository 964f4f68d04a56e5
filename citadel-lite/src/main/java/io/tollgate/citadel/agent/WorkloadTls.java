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
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Mutual TLS for a grpc-java workload from the agent's files: key managers and trust managers
 * that reread {@link CertificateFiles} every {@code period}, so a rotated certificate is served
 * without a restart, and the caller's SPIFFE ID for every call ({@link #PEER_IDENTITY}). Peers
 * are verified by chain to the trust bundle, not by host name: identities are SPIFFE IDs.
 */
public final class WorkloadTls implements AutoCloseable {
  /** The verified caller's identity, set by {@link #peerIdentity()}; null when it has none. */
  public static final Context.Key<SpiffeId> PEER_IDENTITY = Context.key("tollgate-peer-identity");

  private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
  private final AdvancedTlsX509TrustManager trust;
  private final ScheduledExecutorService watcher;
  private final AdvancedTlsX509KeyManager.Closeable keyWatch;
  private final AdvancedTlsX509TrustManager.Closeable trustWatch;

  private WorkloadTls(CertificateFiles files, Duration period) throws IOException, GeneralSecurityException {
    watcher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "tollgate-tls-files");
      t.setDaemon(true);
      return t;
    });
    trust = AdvancedTlsX509TrustManager.newBuilder()
        .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION).build();
    keyWatch = keys.updateIdentityCredentials(files.chain().toFile(), files.key().toFile(), period.toMillis(),
        TimeUnit.MILLISECONDS, watcher);
    trustWatch = trust.updateTrustCredentials(files.roots().toFile(), period.toMillis(), TimeUnit.MILLISECONDS, watcher);
  }

  /** Watches the files in {@code files} (which must exist) every {@code period}. */
  public static WorkloadTls watch(CertificateFiles files, Duration period) throws IOException {
    try {
      return new WorkloadTls(files, period);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot load the workload credentials in " + files.dir() + ": " + e.getMessage(), e);
    }
  }

  /** Server side: a client certificate from the same trust bundle is required. */
  public ServerCredentials serverCredentials() {
    return TlsServerCredentials.newBuilder().keyManager(keys).trustManager(trust)
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE).build();
  }

  public ChannelCredentials channelCredentials() {
    return TlsChannelCredentials.newBuilder().keyManager(keys).trustManager(trust).build();
  }

  /** Puts the verified caller's SPIFFE ID into {@link #PEER_IDENTITY} for every call. */
  public static ServerInterceptor peerIdentity() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        SpiffeId id = identityOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        return Contexts.interceptCall(Context.current().withValue(PEER_IDENTITY, id), call, headers, next);
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
    try {
      keyWatch.close();
      trustWatch.close();
    } finally {
      watcher.shutdownNow();
    }
  }
}
