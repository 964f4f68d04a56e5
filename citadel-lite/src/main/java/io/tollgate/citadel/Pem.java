package io.tollgate.citadel;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * PEM reading and writing, and files written the way key material must be: atomically, 0600 for
 * keys.
 */
public final class Pem {
  private Pem() {}

  public static String encode(Object... objects) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        w.writeObject(o instanceof PrivateKey k ? new JcaPKCS8Generator(k, null) : o);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  public static String encode(List<X509Certificate> certificates) {
    return encode(certificates.toArray());
  }

  /** Every certificate in {@code pem}, in order; fails if there is none or anything else. */
  public static List<X509Certificate> certificates(String pem) {
    List<X509Certificate> out = new ArrayList<>();
    for (Object o : objects(pem)) {
      if (!(o instanceof X509CertificateHolder h)) {
        throw new IllegalArgumentException(
            "expected PEM certificates, found " + o.getClass().getSimpleName());
      }
      try {
        out.add(new JcaX509CertificateConverter().getCertificate(h));
      } catch (CertificateException e) {
        throw new IllegalArgumentException("unreadable certificate: " + e.getMessage(), e);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no PEM certificate found");
    }
    return out;
  }

  public static PrivateKey privateKey(String pem) {
    List<Object> objects = objects(pem);
    if (objects.size() != 1) {
      throw new IllegalArgumentException(
          "expected one PEM private key, found " + objects.size() + " PEM objects");
    }
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (objects.get(0) instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (objects.get(0) instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable private key: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        "expected a PEM private key, found " + objects.get(0).getClass().getSimpleName());
  }

  /** One PKCS#10 request; {@link IllegalArgumentException} when {@code pem} is anything else. */
  public static PKCS10CertificationRequest certificationRequest(String pem) {
    List<Object> objects = objects(pem);
    if (objects.size() != 1 || !(objects.get(0) instanceof PKCS10CertificationRequest csr)) {
      throw new IllegalArgumentException(
          objects.isEmpty()
              ? "no PEM block found (expected -----BEGIN CERTIFICATE REQUEST-----)"
              : "expected one PEM CERTIFICATE REQUEST, found " + objects.size() + " PEM object(s)");
    }
    return csr;
  }

  private static List<Object> objects(String pem) {
    List<Object> out = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem == null ? "" : pem))) {
      for (Object o; (o = parser.readObject()) != null; ) {
        out.add(o);
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("malformed PEM: " + e.getMessage(), e);
    }
    return out;
  }

  public static PrivateKey readPrivateKey(Path file) throws IOException {
    return privateKey(Files.readString(file));
  }

  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    return certificates(Files.readString(file));
  }

  /**
   * Writes {@code text} to {@code file} through a temporary file and a rename, so readers see old
   * or new, never half.
   */
  public static void writeAtomically(Path file, String text, boolean secret) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp =
        Files.createTempFile(
            dir,
            "." + file.getFileName(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
    try {
      Files.writeString(tmp, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public static void writeKey(Path file, KeyPair key) throws IOException {
    writeAtomically(file, encode(key.getPrivate()), true);
  }
}
