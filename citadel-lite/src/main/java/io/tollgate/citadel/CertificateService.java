package io.tollgate.citadel;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.stub.StreamObserver;
import io.tollgate.citadel.api.IstioCertificateRequest;
import io.tollgate.citadel.api.IstioCertificateResponse;
import io.tollgate.citadel.api.IstioCertificateServiceGrpc;
import io.tollgate.common.errors.ErrorIds;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code istio.v1.auth.IstioCertificateService/CreateCertificate}. The caller authenticates with
 * {@code authorization: Bearer <bootstrap token>} or, to renew, with its current certificate in the
 * TLS handshake (a token wins when both are present). One audit line per issued certificate on the
 * {@code tollgate.audit} logger; refusals are logged with their reason. Tokens and keys are never
 * logged. A request the CA refuses is answered with the reason (what the caller must fix); a
 * failure of the CA's own is answered {@code INTERNAL} with {@link ErrorIds#clientMessage} only.
 */
public final class CertificateService
    extends IstioCertificateServiceGrpc.IstioCertificateServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(CertificateService.class);
  private static final Logger audit = LoggerFactory.getLogger("tollgate.audit");

  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> TOKEN = Context.key("tollgate-bearer-token");
  private static final Context.Key<X509Certificate[]> PEER_CHAIN =
      Context.key("tollgate-peer-chain");
  private static final Context.Key<SocketAddress> PEER = Context.key("tollgate-peer-address");

  private final CertificateAuthority ca;
  private final BootstrapTokens tokens;
  private final CaMetrics metrics;

  public CertificateService(CertificateAuthority ca, BootstrapTokens tokens, CaMetrics metrics) {
    this.ca = ca;
    this.tokens = tokens;
    this.metrics = metrics;
  }

  /** Carries the bearer token and the peer's certificates from the transport into the call. */
  public static ServerInterceptor credentials() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String auth = headers.get(AUTHORIZATION);
        String token =
            auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
                ? auth.substring(7).trim()
                : null;
        X509Certificate[] chain = null;
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session != null) {
          try {
            Certificate[] peer = session.getPeerCertificates();
            chain = Arrays.copyOf(peer, peer.length, X509Certificate[].class);
          } catch (SSLPeerUnverifiedException e) {
            // no client certificate: token authentication only
          }
        }
        Context ctx =
            Context.current()
                .withValue(TOKEN, token)
                .withValue(PEER_CHAIN, chain)
                .withValue(PEER, call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        return Contexts.interceptCall(ctx, call, headers, next);
      }
    };
  }

  @Override
  public void createCertificate(
      IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
    long started = System.nanoTime();
    String auth = "none";
    SpiffeId id = null;
    try {
      String token = TOKEN.get();
      X509Certificate[] chain = PEER_CHAIN.get();
      if (token != null && !token.isEmpty()) {
        auth = "token";
        id = tokens.verify(token);
      } else if (chain != null && chain.length > 0) {
        auth = "certificate";
        id = ca.verifyPeer(chain);
      } else {
        throw Refusal.unauthenticated(
            "no_credentials",
            "no credentials: send 'authorization: Bearer <token>' (tollgate ca token) or present your current certificate");
      }
      CertificateAuthority.Issued issued =
          ca.issue(id, request.getCsr(), request.getValidityDuration());
      IstioCertificateResponse.Builder out = IstioCertificateResponse.newBuilder();
      for (X509Certificate c : issued.chain()) {
        out.addCertChain(Pem.encode(c));
      }
      metrics.issued.labelValues(auth).inc();
      metrics.signSeconds.observe((System.nanoTime() - started) / 1e9);
      audit.info(
          "issued certificate serial={} identity={} auth={} not_after={} ttl={}s peer={}",
          issued.certificate().getSerialNumber().toString(16),
          id,
          auth,
          issued.certificate().getNotAfter().toInstant(),
          issued.ttl().toSeconds(),
          PEER.get());
      response.onNext(out.build());
      response.onCompleted();
    } catch (Refusal r) {
      metrics.refused.labelValues(r.reason()).inc();
      log.warn(
          "refused a certificate request from {} (auth {}, identity {}): {}: {}",
          PEER.get(),
          auth,
          id == null ? "unknown" : id,
          r.reason(),
          r.getMessage());
      response.onError(r.status().asRuntimeException());
    } catch (RuntimeException e) {
      // A bug or a broken CA state: the detail is for the operator, under an id the caller gets.
      metrics.refused.labelValues("internal").inc();
      String errorId = ErrorIds.next();
      log.error("certificate request from {} failed (id {})", PEER.get(), errorId, e);
      response.onError(
          io.grpc.Status.INTERNAL
              .withDescription(ErrorIds.clientMessage(errorId))
              .asRuntimeException());
    }
  }
}
