package io.tollgate.citadel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA's key material: a plugged-in intermediate (Istio's cacerts) and what is refused there. */
class CaStateTest {
  @TempDir Path dir;

  /**
   * An organisation's root (created like Tollgate's own) and an intermediate it signs, as cacerts.
   */
  Path pluggedIntermediate(boolean matchingKey) throws Exception {
    CaState org = CaState.open(dir.resolve("org-root"), null, "cluster.local");
    KeyPair key = KeyType.EC_P256.generate();
    Instant now = Instant.now();
    X509Certificate intermediate =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        org.caCert,
                        BigInteger.valueOf(42),
                        Date.from(now.minusSeconds(60)),
                        Date.from(now.plus(Duration.ofDays(365))),
                        new X500Name("O=cluster.local,CN=Tollgate intermediate"),
                        key.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(
                        Extension.keyUsage,
                        true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(org.caKey)));
    Path cacerts = Files.createDirectories(dir.resolve("cacerts"));
    Pem.writeAtomically(cacerts.resolve("ca-cert.pem"), Pem.encode(intermediate), false);
    Pem.writeKey(cacerts.resolve("ca-key.pem"), matchingKey ? key : KeyType.EC_P256.generate());
    Pem.writeAtomically(
        cacerts.resolve("cert-chain.pem"), Pem.encode(intermediate, org.caCert), false);
    Pem.writeAtomically(cacerts.resolve("root-cert.pem"), Pem.encode(org.caCert), false);
    return cacerts;
  }

  @Test
  void aPluggedInIntermediateSignsAndTheChainLeadsToTheOrganisationsRoot() throws Exception {
    Path cacerts = pluggedIntermediate(true);
    CaState state = CaState.open(dir.resolve("state"), cacerts, "cluster.local");
    CertificateAuthority ca =
        new CertificateAuthority(
            state,
            new CertificateAuthority.Settings(
                "cluster.local", Duration.ofHours(1), Duration.ofHours(2)),
            new Revocations(dir.resolve("state")),
            Clock.systemUTC());
    SpiffeId id = new SpiffeId("cluster.local", "shop", "cart");
    var issued = ca.issue(id, Csr.forIdentity(id, KeyType.EC_P256.generate()), 0);
    List<X509Certificate> chain = issued.chain();
    assertThat(chain).hasSize(3);
    assertThat(chain.get(1).getSubjectX500Principal().getName()).contains("Tollgate intermediate");
    X509Certificate root = Pem.readCertificates(cacerts.resolve("root-cert.pem")).get(0);
    assertThat(chain.get(2)).isEqualTo(root);
    // The trust bundle agents fetch from the state directory is the organisation's root.
    assertThat(Pem.readCertificates(dir.resolve("state/root-cert.pem"))).containsExactly(root);
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(
            CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, 2)), params);
    // The CA's key stays where it was: the state directory holds no copy.
    assertThat(dir.resolve("state/ca-key.pem")).doesNotExist();
  }

  @Test
  void aKeyThatDoesNotBelongToTheCertificateIsRefusedAtStart() throws Exception {
    Path cacerts = pluggedIntermediate(false);
    assertThatThrownBy(() -> CaState.open(dir.resolve("state"), cacerts, "cluster.local"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("ca-key.pem: does not belong to ca-cert.pem");
    Files.delete(cacerts.resolve("cert-chain.pem"));
    assertThatThrownBy(() -> CaState.open(dir.resolve("state"), cacerts, "cluster.local"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cert-chain.pem")
        .hasMessageContaining("missing");
  }

  @Test
  void theSelfSignedRootIsCreatedOnceAndKeptAcrossRestarts() throws Exception {
    CaState first = CaState.open(dir.resolve("state"), null, "cluster.local");
    CaState again = CaState.open(dir.resolve("state"), null, "cluster.local");
    assertThat(again.caCert).isEqualTo(first.caCert);
    assertThat(again.tokenKey.getPublic()).isEqualTo(first.tokenKey.getPublic());
    assertThat(first.caCert.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(first.caCert.getPublicKey().getAlgorithm()).isEqualTo("EC");
  }
}
