package io.tollgate.citadel;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's key material on disk, in Istio's {@code cacerts} layout:
 *
 * <pre>
 * ca-cert.pem      the certificate the CA signs with (the root itself when self-signed)
 * ca-key.pem       its private key (0600)
 * cert-chain.pem   ca-cert.pem and the certificates above it up to the root
 * root-cert.pem    the root(s) workloads trust: the trust bundle
 * token-key.pem    the key bootstrap tokens are signed with (0600); separate, so that issuing
 *                  a token never needs the CA's signing key outside the CA process
 * revoked-serials.txt  serial numbers (hex) refused for renewal
 * </pre>
 *
 * A state directory without them gets a new self-signed ECDSA P-256 root on first use. A plugged-in
 * CA (an intermediate from the organisation's PKI) is a directory with the first four files, given
 * to {@link #open(Path, Path)}; the token key and revocations still live in the state directory.
 */
public final class CaState {
  private static final Logger log = LoggerFactory.getLogger(CaState.class);
  static final Duration ROOT_LIFETIME = Duration.ofDays(3650);

  public final Path stateDir;
  public final PrivateKey caKey;
  public final X509Certificate caCert;

  /** ca-cert first, root last. */
  public final List<X509Certificate> chain;

  public final List<X509Certificate> roots;
  public final KeyPair tokenKey;

  private CaState(
      Path stateDir,
      PrivateKey caKey,
      List<X509Certificate> chain,
      List<X509Certificate> roots,
      KeyPair tokenKey) {
    this.stateDir = stateDir;
    this.caKey = caKey;
    this.caCert = chain.get(0);
    this.chain = List.copyOf(chain);
    this.roots = List.copyOf(roots);
    this.tokenKey = tokenKey;
  }

  /**
   * Opens the state in {@code stateDir}, creating a self-signed root and a token key when they are
   * missing; with {@code pluggedCerts}, the signing certificate, key and chain come from there.
   */
  public static CaState open(Path stateDir, Path pluggedCerts, String trustDomain)
      throws IOException {
    return locked(
        stateDir,
        () -> {
          KeyPair tokenKey = tokenKey(stateDir);
          Path certs = pluggedCerts != null ? pluggedCerts : stateDir;
          if (pluggedCerts == null && !Files.exists(stateDir.resolve("ca-key.pem"))) {
            createRoot(stateDir, trustDomain);
          }
          PrivateKey key = Pem.readPrivateKey(need(certs, "ca-key.pem"));
          List<X509Certificate> chain = Pem.readCertificates(need(certs, "cert-chain.pem"));
          X509Certificate caCert = Pem.readCertificates(need(certs, "ca-cert.pem")).get(0);
          List<X509Certificate> roots = Pem.readCertificates(need(certs, "root-cert.pem"));
          if (!chain.get(0).equals(caCert)) {
            chain = new java.util.ArrayList<>(chain);
            chain.add(0, caCert);
          }
          check(certs, key, caCert, chain, roots);
          if (pluggedCerts != null) {
            // Workloads fetch the trust bundle from the state directory as well.
            Pem.writeAtomically(stateDir.resolve("root-cert.pem"), Pem.encode(roots), false);
          }
          return new CaState(stateDir, key, chain, roots, tokenKey);
        });
  }

  /** Only the token key: what {@code tollgate ca token} needs, without touching the CA's key. */
  public static KeyPair openTokenKey(Path stateDir) throws IOException {
    return locked(stateDir, () -> tokenKey(stateDir));
  }

  /** What runs while the state directory is locked. */
  private interface Locked<T> {
    T run() throws IOException;
  }

  /** Runs {@code body} holding an exclusive lock on {@code stateDir/.lock}. */
  private static <T> T locked(Path stateDir, Locked<T> body) throws IOException {
    Files.createDirectories(stateDir);
    try (FileChannel lockFile =
        FileChannel.open(
            stateDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      lockFile.lock(); // released when the channel closes
      return body.run();
    }
  }

  private static Path need(Path dir, String name) throws NoSuchFileException {
    Path p = dir.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new NoSuchFileException(
          p.toString(),
          null,
          "missing; a CA directory holds ca-cert.pem, ca-key.pem, cert-chain.pem and root-cert.pem");
    }
    return p;
  }

  private static void check(
      Path dir,
      PrivateKey key,
      X509Certificate caCert,
      List<X509Certificate> chain,
      List<X509Certificate> roots)
      throws IOException {
    try {
      if (caCert.getBasicConstraints() < 0) {
        throw new IOException(
            dir.resolve("ca-cert.pem") + ": not a CA certificate (basicConstraints cA is not set)");
      }
      Signature s = Signature.getInstance(KeyType.signatureAlgorithm(caCert.getPublicKey()));
      byte[] probe = "tollgate".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(caCert.getPublicKey());
      s.update(probe);
      if (!s.verify(sig)) {
        throw new IOException(dir.resolve("ca-key.pem") + ": does not belong to ca-cert.pem");
      }
      for (int i = 0; i + 1 < chain.size(); i++) {
        chain.get(i).verify(chain.get(i + 1).getPublicKey());
      }
      X509Certificate top = chain.get(chain.size() - 1);
      boolean anchored =
          roots.stream()
              .anyMatch(
                  r -> {
                    try {
                      top.verify(r.getPublicKey());
                      return true;
                    } catch (GeneralSecurityException e) {
                      return false;
                    }
                  });
      if (!anchored) {
        throw new IOException(
            dir.resolve("cert-chain.pem") + ": does not lead to a certificate in root-cert.pem");
      }
      caCert.checkValidity();
    } catch (GeneralSecurityException e) {
      throw new IOException(dir + ": CA certificates do not verify: " + e.getMessage(), e);
    }
  }

  private static KeyPair tokenKey(Path stateDir) throws IOException {
    Path file = stateDir.resolve("token-key.pem");
    if (!Files.exists(file)) {
      Pem.writeKey(file, KeyType.EC_P256.generate());
      log.info("created the bootstrap token key {}", file);
    }
    PrivateKey key = Pem.readPrivateKey(file);
    return new KeyPair(publicKeyOf(key), key);
  }

  /** The public half of a P-256 private key: Q = d·G. */
  static PublicKey publicKeyOf(PrivateKey key) throws IOException {
    if (!(key instanceof java.security.interfaces.ECPrivateKey ec)) {
      throw new IOException(
          "token-key.pem: expected an EC P-256 private key, found " + key.getAlgorithm());
    }
    try {
      var curve = org.bouncycastle.jce.ECNamedCurveTable.getParameterSpec("secp256r1");
      var q = curve.getG().multiply(ec.getS()).normalize();
      var w =
          new java.security.spec.ECPoint(
              q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
      return java.security.KeyFactory.getInstance("EC")
          .generatePublic(new java.security.spec.ECPublicKeySpec(w, ec.getParams()));
    } catch (GeneralSecurityException e) {
      throw new IOException("token-key.pem: " + e.getMessage(), e);
    }
  }

  private static void createRoot(Path stateDir, String trustDomain) throws IOException {
    KeyPair root = KeyType.EC_P256.generate();
    try {
      X500Name name = new X500Name("O=" + trustDomain + ",CN=Tollgate root CA");
      Instant now = Instant.now();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      var builder =
          new JcaX509v3CertificateBuilder(
                  name,
                  new BigInteger(127, new SecureRandom()).add(BigInteger.ONE),
                  Date.from(now.minus(Duration.ofMinutes(1))),
                  Date.from(now.plus(ROOT_LIFETIME)),
                  name,
                  root.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(root.getPublic()));
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(
                  builder.build(
                      new JcaContentSignerBuilder("SHA256withECDSA").build(root.getPrivate())));
      String pem = Pem.encode(cert);
      Pem.writeKey(stateDir.resolve("ca-key.pem"), root);
      Pem.writeAtomically(stateDir.resolve("ca-cert.pem"), pem, false);
      Pem.writeAtomically(stateDir.resolve("cert-chain.pem"), pem, false);
      Pem.writeAtomically(stateDir.resolve("root-cert.pem"), pem, false);
      Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwx------"));
      log.info(
          "created a self-signed root CA for trust domain {} in {} (ECDSA P-256, valid until {})",
          trustDomain,
          stateDir,
          cert.getNotAfter().toInstant());
    } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
      throw new IOException("cannot create the root CA: " + e.getMessage(), e);
    }
  }
}
