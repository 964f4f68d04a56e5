package io.tollgate.pilot;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A root and one workload certificate in the agent's file layout (key.pem, cert-chain.pem,
 * root-cert.pem), for mutual-TLS tests of pilot-lite, which does not depend on the CA.
 */
final class TestPki {
  private TestPki() {}

  static Path workload(Path dir, String spiffeId) throws Exception {
    return workload(dir, spiffeId, List.of());
  }

  /**
   * As {@link #workload(Path, String)}, with DNS names and IP addresses beside the SPIFFE ID (for
   * servers).
   */
  static Path workload(Path dir, String spiffeId, List<String> hosts) throws Exception {
    Files.createDirectories(dir);
    KeyPair root = ec();
    KeyPair leaf = ec();
    Instant now = Instant.now();
    X500Name rootName = new X500Name("CN=test root");
    X509Certificate rootCert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        rootName,
                        BigInteger.ONE,
                        Date.from(now.minusSeconds(60)),
                        Date.from(now.plus(Duration.ofDays(1))),
                        rootName,
                        root.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign))
                    .build(
                        new JcaContentSignerBuilder("SHA256withECDSA").build(root.getPrivate())));
    X509Certificate leafCert =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        rootName,
                        BigInteger.TWO,
                        Date.from(now.minusSeconds(60)),
                        Date.from(now.plus(Duration.ofDays(1))),
                        new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
                        leaf.getPublic())
                    .addExtension(Extension.subjectAlternativeName, true, names(spiffeId, hosts))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .build(
                        new JcaContentSignerBuilder("SHA256withECDSA").build(root.getPrivate())));
    Files.writeString(dir.resolve("key.pem"), pem(new JcaPKCS8Generator(leaf.getPrivate(), null)));
    Files.writeString(dir.resolve("cert-chain.pem"), pem(leafCert));
    Files.writeString(dir.resolve("root-cert.pem"), pem(rootCert));
    return dir;
  }

  private static GeneralNames names(String spiffeId, List<String> hosts) {
    List<GeneralName> names = new java.util.ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId));
    for (String h : hosts) {
      names.add(
          new GeneralName(h.matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName, h));
    }
    return new GeneralNames(names.toArray(GeneralName[]::new));
  }

  private static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static String pem(Object o) throws Exception {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o);
    }
    return w.toString();
  }
}
