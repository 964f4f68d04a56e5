package io.tollgate.citadel;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** citadel-lite assembled: CA state, signing, tokens, revocations, metrics and the CSR endpoint. */
public final class Citadel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Citadel.class);

  /**
   * @param pluggedCerts a directory with ca-cert.pem, ca-key.pem, cert-chain.pem and root-cert.pem,
   *     or null for a self-signed root kept in {@code stateDir}
   * @param hosts names and addresses the CA's TLS certificate is valid for (what agents dial)
   */
  public record Settings(
      Path stateDir,
      Path pluggedCerts,
      String trustDomain,
      Duration defaultTtl,
      Duration maxTtl,
      String bind,
      int port,
      List<String> hosts) {}

  private final CaState state;
  private final CertificateAuthority authority;
  private final BootstrapTokens tokens;
  private final CaServer server;

  private Citadel(
      CaState state, CertificateAuthority authority, BootstrapTokens tokens, CaServer server) {
    this.state = state;
    this.authority = authority;
    this.tokens = tokens;
    this.server = server;
  }

  public static Citadel start(Settings s, PrometheusRegistry registry, Clock clock)
      throws IOException {
    CaState state = CaState.open(s.stateDir(), s.pluggedCerts(), s.trustDomain());
    CertificateAuthority ca =
        new CertificateAuthority(
            state,
            new CertificateAuthority.Settings(s.trustDomain(), s.defaultTtl(), s.maxTtl()),
            new Revocations(s.stateDir()),
            clock);
    BootstrapTokens tokens = new BootstrapTokens(state.tokenKey, s.trustDomain(), clock);
    CertificateService service =
        new CertificateService(ca, tokens, new CaMetrics(registry, state.caCert));
    CaServer server = CaServer.start(ca, service, s.bind(), s.port(), s.hosts());
    log.info(
        "CA for trust domain {} serving Istio's CSR API on {}:{} (signing certificate {}, valid until {}; TTL default {}, max {})",
        s.trustDomain(),
        s.bind(),
        server.port(),
        state.caCert.getSubjectX500Principal().getName(),
        state.caCert.getNotAfter().toInstant(),
        s.defaultTtl(),
        s.maxTtl());
    return new Citadel(state, ca, tokens, server);
  }

  public int port() {
    return server.port();
  }

  public CertificateAuthority authority() {
    return authority;
  }

  public BootstrapTokens tokens() {
    return tokens;
  }

  /** The trust bundle file agents verify the CA with. */
  public Path rootCertFile() {
    return state.stateDir.resolve("root-cert.pem");
  }

  @Override
  public void close() {
    server.close();
  }
}
