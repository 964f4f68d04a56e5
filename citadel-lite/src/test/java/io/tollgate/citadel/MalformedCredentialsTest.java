package io.tollgate.citadel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tollgate.citadel.api.IstioCertificateRequest;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials the JDK cannot read, or that just expired: refused with what is wrong with them,
 * never {@code INTERNAL} with a parser's message.
 */
class MalformedCredentialsTest {
  static final SpiffeId CART = new SpiffeId(CaFixture.TD, "shop", "cart");

  @TempDir Path dir;
  CaFixture ca;
  CaState state;

  @BeforeEach
  void start() throws Exception {
    ca = new CaFixture(dir.resolve("ca"), 0);
    state = CaState.open(ca.stateDir, null, CaFixture.TD);
  }

  @AfterEach
  void stop() {
    ca.close();
  }

  /**
   * A certificate signed by this CA with an empty subject and {@code sans} as a non-critical or
   * critical SAN. Built with BouncyCastle's provider, which (unlike the JDK's) lets the client hold
   * such a certificate.
   */
  X509Certificate signedByTheCa(KeyPair key, GeneralNames sans, boolean critical) throws Exception {
    Instant now = Instant.now();
    var builder =
        new JcaX509v3CertificateBuilder(
                X500Name.getInstance(state.caCert.getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofHours(1))),
                new X500Name(new RDN[0]),
                key.getPublic())
            .addExtension(Extension.subjectAlternativeName, critical, sans);
    return new JcaX509CertificateConverter()
        .setProvider(KeyType.PROVIDER)
        .getCertificate(
            builder.build(
                new JcaContentSignerBuilder(KeyType.signatureAlgorithm(state.caCert.getPublicKey()))
                    .build(state.caKey)));
  }

  Status renewWith(X509Certificate cert, KeyPair key) throws Exception {
    ManagedChannel ch = ca.channel(List.of(cert), key.getPrivate());
    try {
      ca.stub(ch, null)
          .createCertificate(
              IstioCertificateRequest.newBuilder()
                  .setCsr(Csr.forIdentity(CART, KeyType.EC_P256.generate()))
                  .build());
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    } finally {
      ch.shutdownNow();
    }
  }

  static GeneralNames uri(String uri) {
    return new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
  }

  @Test
  void aClientCertificateTheJdkCannotParseIsRefusedWithTheReason() throws Exception {
    KeyPair key = KeyType.EC_P256.generate();
    // Empty subject with a non-critical SAN: RFC 5280 says the SAN must then be critical.
    Status emptySubject = renewWith(signedByTheCa(key, uri(CART.toString()), false), key);
    assertThat(emptySubject.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(emptySubject.getDescription())
        .startsWith("the client certificate is not a valid X.509 certificate: ")
        .contains("MUST be marked critical when subject field is empty")
        .doesNotContain("Exception");

    Status badUri = renewWith(signedByTheCa(key, uri("spiffe://cluster.local/%%%"), true), key);
    assertThat(badUri.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(badUri.getDescription())
        .startsWith("the client certificate is not a valid X.509 certificate: ");
    assertThat(ca.refused("certificate_malformed")).isEqualTo(2);
    assertThat(ca.refused("internal")).isZero();

    // The same certificate, well-formed, renews: the CA kept serving.
    assertThat(renewWith(signedByTheCa(key, uri(CART.toString()), true), key)).isEqualTo(Status.OK);
  }

  @Test
  void aTokenIsRefusedTheMomentItExpires() throws Exception {
    // Issued two seconds ago for one second: expired a second ago, well inside the old 30 s grace.
    BootstrapTokens past =
        new BootstrapTokens(
            CaState.openTokenKey(ca.stateDir),
            CaFixture.TD,
            Clock.fixed(Instant.now().minusSeconds(2), ZoneOffset.UTC));
    String justExpired = past.issue(CART, Duration.ofSeconds(1));
    ManagedChannel plain = ca.channel(null, null);
    try {
      assertThatThrownBy(
              () ->
                  ca.stub(plain, justExpired)
                      .createCertificate(
                          IstioCertificateRequest.newBuilder()
                              .setCsr(Csr.forIdentity(CART, KeyType.EC_P256.generate()))
                              .build()))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription()).contains("the bearer token expired at");
              });
    } finally {
      plain.shutdownNow();
    }
    assertThat(ca.refused("token_expired")).isEqualTo(1);
  }
}
