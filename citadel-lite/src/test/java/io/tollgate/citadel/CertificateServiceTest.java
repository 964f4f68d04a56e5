package io.tollgate.citadel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tollgate.citadel.agent.CertificateFiles;
import io.tollgate.citadel.agent.WorkloadAgent;
import io.tollgate.citadel.api.IstioCertificateRequest;
import io.tollgate.citadel.api.IstioCertificateResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Istio's CSR API against a real CA over TLS: issuance, renewal, and everything it must refuse. */
class CertificateServiceTest {
  @TempDir Path dir;
  CaFixture ca;
  ManagedChannel plain;

  @BeforeEach
  void start() throws Exception {
    ca = new CaFixture(dir.resolve("ca"), 0);
    plain = ca.channel(null, null);
  }

  @AfterEach
  void stop() {
    plain.shutdownNow();
    ca.close();
  }

  static List<X509Certificate> chainOf(IstioCertificateResponse r) {
    List<X509Certificate> out = new ArrayList<>();
    r.getCertChainList().forEach(pem -> out.addAll(Pem.certificates(pem)));
    return out;
  }

  IstioCertificateResponse request(String token, String csr, long seconds) {
    return ca.stub(plain, token)
        .createCertificate(
            IstioCertificateRequest.newBuilder().setCsr(csr).setValidityDuration(seconds).build());
  }

  static void assertRefused(Runnable call, Status.Code code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(message);
            });
  }

  @Test
  void aTokenGetsACertificateForItsIdentityChainingToTheRootWithTheTtlCapped() throws Exception {
    SpiffeId cart = new SpiffeId(CaFixture.TD, "shop", "cart");
    KeyPair key = KeyType.EC_P256.generate();
    Instant before = Instant.now();
    List<X509Certificate> chain =
        chainOf(request(ca.token("shop", "cart"), Csr.forIdentity(cart, key), 3600));

    X509Certificate leaf = chain.get(0);
    assertThat(CertificateAuthority.spiffeIdOf(leaf)).isEqualTo(cart);
    assertThat(leaf.getPublicKey()).isEqualTo(key.getPublic());
    assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(Duration.between(before, leaf.getNotAfter().toInstant()))
        .isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
    // The chain verifies against the trust bundle the CA publishes, and ends with that root.
    X509Certificate root = Pem.readCertificates(ca.citadel.rootCertFile()).get(0);
    assertThat(chain.get(chain.size() - 1)).isEqualTo(root);
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(
            CertificateFactory.getInstance("X.509")
                .generateCertPath(chain.subList(0, chain.size() - 1)),
            params);

    // Ten years requested, the 48 h maximum given; 0 means the 24 h default.
    X509Certificate capped =
        chainOf(request(ca.token("shop", "cart"), Csr.forIdentity(cart, key), 10L * 365 * 86400))
            .get(0);
    assertThat(Duration.between(Instant.now(), capped.getNotAfter().toInstant()))
        .isBetween(Duration.ofHours(47), Duration.ofHours(48));
    X509Certificate dflt =
        chainOf(request(ca.token("shop", "cart"), Csr.forIdentity(cart, key), 0)).get(0);
    assertThat(Duration.between(Instant.now(), dflt.getNotAfter().toInstant()))
        .isBetween(Duration.ofHours(23), Duration.ofHours(24));
    // An absurd request does not overflow: it is capped too.
    X509Certificate absurd =
        chainOf(request(ca.token("shop", "cart"), Csr.forIdentity(cart, key), Long.MAX_VALUE))
            .get(0);
    assertThat(Duration.between(Instant.now(), absurd.getNotAfter().toInstant()))
        .isBetween(Duration.ofHours(47), Duration.ofHours(48));
    assertThat(ca.issued("token")).isEqualTo(4);
  }

  @Test
  void theAgentRenewsWithItsCurrentCertificateAndWritesKeysOwnerOnly() throws Exception {
    Path out = dir.resolve("certs");
    try (WorkloadAgent agent =
        new WorkloadAgent(
            ca.agent(out, ca.token("shop", "cart"), Duration.ofHours(1)), Clock.systemUTC())) {
      CertificateFiles.Bundle first = agent.fetch();
      CertificateFiles.Bundle second = agent.fetch();
      assertThat(second.certificate().getSerialNumber())
          .isNotEqualTo(first.certificate().getSerialNumber());
      assertThat(second.key()).isNotEqualTo(first.key());
      assertThat(ca.issued("token")).isEqualTo(1);
      assertThat(ca.issued("certificate")).isEqualTo(1);
      // What is on disk is the second bundle, key 0600 behind the symlinks.
      CertificateFiles.Bundle onDisk = agent.files().read().orElseThrow();
      assertThat(onDisk.certificate()).isEqualTo(second.certificate());
      assertThat(Files.getPosixFilePermissions(out.resolve("key.pem").toRealPath()))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
    for (String secret : List.of("ca-key.pem", "token-key.pem")) {
      assertThat(Files.getPosixFilePermissions(ca.stateDir.resolve(secret)))
          .as(secret)
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
  }

  @Test
  void aTokenSpeaksForItsOwnIdentityOnly() {
    KeyPair key = KeyType.EC_P256.generate();
    SpiffeId other = new SpiffeId(CaFixture.TD, "payments", "cart");
    assertRefused(
        () -> request(ca.token("shop", "cart"), Csr.forIdentity(other, key), 0),
        Status.Code.PERMISSION_DENIED,
        "caller is authenticated as spiffe://cluster.local/ns/shop/sa/cart");
    // Extra names beside the right one are refused as well.
    SpiffeId cart = new SpiffeId(CaFixture.TD, "shop", "cart");
    assertRefused(
        () ->
            request(
                ca.token("shop", "cart"),
                Csr.withNames(
                    key,
                    List.of(
                        new GeneralName(GeneralName.uniformResourceIdentifier, cart.toString()),
                        new GeneralName(GeneralName.dNSName, "payments.internal"))),
                0),
        Status.Code.PERMISSION_DENIED,
        "DNS SAN 'payments.internal'");
    assertRefused(
        () ->
            request(
                ca.token("shop", "cart"),
                Csr.withNames(
                    key,
                    List.of(
                        new GeneralName(GeneralName.uniformResourceIdentifier, cart.toString()),
                        new GeneralName(
                            GeneralName.uniformResourceIdentifier,
                            "spiffe://cluster.local/ns/shop/sa/admin"))),
                0),
        Status.Code.PERMISSION_DENIED,
        "URI SAN 'spiffe://cluster.local/ns/shop/sa/admin'");
    assertThat(ca.refused("csr_identity")).isEqualTo(3);
    assertThat(ca.issued("token")).isZero();
  }

  @Test
  void expiredForeignAndMissingTokensAreRefused() {
    SpiffeId cart = new SpiffeId(CaFixture.TD, "shop", "cart");
    String csr = Csr.forIdentity(cart, KeyType.EC_P256.generate());
    String expired =
        new BootstrapTokens(
                tokenKey(),
                CaFixture.TD,
                Clock.fixed(Instant.now().minus(Duration.ofHours(3)), ZoneOffset.UTC))
            .issue(cart, Duration.ofHours(1));
    assertRefused(
        () -> request(expired, csr, 0), Status.Code.UNAUTHENTICATED, "the bearer token expired at");
    String foreign =
        new BootstrapTokens(KeyType.EC_P256.generate(), CaFixture.TD, Clock.systemUTC())
            .issue(cart, Duration.ofHours(1));
    assertRefused(
        () -> request(foreign, csr, 0),
        Status.Code.UNAUTHENTICATED,
        "not signed by this CA's token key");
    assertRefused(() -> request("not-a-jwt", csr, 0), Status.Code.UNAUTHENTICATED, "not a JWT");
    assertRefused(() -> request(null, csr, 0), Status.Code.UNAUTHENTICATED, "no credentials");
    String otherDomain =
        new BootstrapTokens(tokenKey(), "other.example", Clock.systemUTC())
            .issue(new SpiffeId("other.example", "shop", "cart"), Duration.ofHours(1));
    assertRefused(
        () -> request(otherDomain, csr, 0), Status.Code.PERMISSION_DENIED, "trust domain");
    assertThat(ca.refused("token_expired")).isEqualTo(1);
    assertThat(ca.refused("token_signature")).isEqualTo(1);
  }

  private KeyPair tokenKey() {
    try {
      return CaState.openTokenKey(ca.stateDir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void renewalWithARevokedOrExpiredCertificateIsRefused() throws Exception {
    SpiffeId cart = new SpiffeId(CaFixture.TD, "shop", "cart");
    KeyPair key = KeyType.EC_P256.generate();
    List<X509Certificate> chain =
        chainOf(request(ca.token("shop", "cart"), Csr.forIdentity(cart, key), 3600));
    ManagedChannel mtls = ca.channel(chain.subList(0, chain.size() - 1), key.getPrivate());
    try {
      var renewal =
          IstioCertificateRequest.newBuilder()
              .setCsr(Csr.forIdentity(cart, KeyType.EC_P256.generate()))
              .build();
      assertThat(ca.stub(mtls, null).createCertificate(renewal).getCertChainCount()).isEqualTo(2);
      new Revocations(ca.stateDir).revoke(chain.get(0).getSerialNumber(), "key leaked");
      assertRefused(
          () -> ca.stub(mtls, null).createCertificate(renewal),
          Status.Code.PERMISSION_DENIED,
          "is revoked");
    } finally {
      mtls.shutdownNow();
    }

    // A certificate of this CA that expired an hour ago.
    CaState state = CaState.open(ca.stateDir, null, CaFixture.TD);
    CertificateAuthority past =
        new CertificateAuthority(
            state,
            ca.citadel.authority().settings(),
            new Revocations(ca.stateDir),
            Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC));
    KeyPair oldKey = KeyType.EC_P256.generate();
    var old = past.issue(cart, Csr.forIdentity(cart, oldKey), 3600);
    ManagedChannel expired = ca.channel(List.of(old.certificate()), oldKey.getPrivate());
    try {
      assertRefused(
          () ->
              ca.stub(expired, null)
                  .createCertificate(
                      IstioCertificateRequest.newBuilder()
                          .setCsr(Csr.forIdentity(cart, KeyType.EC_P256.generate()))
                          .build()),
          Status.Code.UNAUTHENTICATED,
          "the client certificate expired at");
    } finally {
      expired.shutdownNow();
    }
    assertThat(ca.refused("certificate_revoked")).isEqualTo(1);
    assertThat(ca.refused("certificate_expired")).isEqualTo(1);
  }

  @Test
  void badRequestsGetClearErrorsAndTheCaKeepsServing() throws Exception {
    String token = ca.token("shop", "cart");
    assertRefused(() -> request(token, "", 0), Status.Code.INVALID_ARGUMENT, "csr is empty");
    assertRefused(
        () -> ca.stub(plain, token).createCertificate(IstioCertificateRequest.getDefaultInstance()),
        Status.Code.INVALID_ARGUMENT,
        "csr is empty");
    assertRefused(
        () ->
            request(
                token,
                "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n",
                0),
        Status.Code.INVALID_ARGUMENT,
        "not a PKCS#10 certificate request");
    assertRefused(
        () -> request(token, "hello", 0), Status.Code.INVALID_ARGUMENT, "no PEM block found");
    SpiffeId cart = new SpiffeId(CaFixture.TD, "shop", "cart");
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(1024);
    assertRefused(
        () ->
            request(
                token,
                Csr.withNames(
                    rsa.generateKeyPair(),
                    List.of(
                        new GeneralName(GeneralName.uniformResourceIdentifier, cart.toString()))),
                0),
        Status.Code.INVALID_ARGUMENT,
        "at least 2048 bits; this one has 1024");
    assertRefused(
        () -> request(token, Csr.forIdentity(cart, KeyType.EC_P256.generate()), -5),
        Status.Code.INVALID_ARGUMENT,
        "validity_duration must be 0");
    assertRefused(
        () -> request(token, "x".repeat(100_000), 0),
        Status.Code.INVALID_ARGUMENT,
        "at most 65536");

    // Still serving, and an RSA-2048 key is fine.
    assertThat(chainOf(request(token, Csr.forIdentity(cart, KeyType.RSA_2048.generate()), 0)))
        .hasSize(2);
    assertThat(ca.refused("malformed_csr")).isEqualTo(3);
    assertThat(ca.refused("weak_key")).isEqualTo(1);
  }
}
