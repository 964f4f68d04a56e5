package io.tollgate.citadel;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tollgate.testing.InputTimeout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the CA's reading of a certificate signing request ({@link CertificateAuthority#issue}):
 * the CSR is whatever an authenticated caller sends. Each input is tried twice: as sent, which
 * mostly exercises the PEM and DER parsing before the signature check; and re-signed, its subject
 * and attributes kept but its key replaced by one this test holds, so that what comes after the
 * signature check (the key checks, the requested extensions and names) sees fuzzed input too. The
 * documented bad input is {@link Refusal} (the caller gets its status and reason); any other
 * exception is a finding, and so is a certificate that names anything but the caller.
 *
 * <p>The corpus ({@code CsrFuzzTestInputs/issue}) holds CSRs as the agent and the CA tests make
 * them: EC and RSA keys, the caller's SPIFFE ID, other names, a request for a CA certificate.
 */
@ExtendWith(InputTimeout.class)
class CsrFuzzTest {
  private static final SpiffeId CALLER = new SpiffeId("cluster.local", "shop", "web");
  private static final KeyPair KEY = KeyType.EC_P256.generate();
  private static final CertificateAuthority CA = ca();

  @FuzzTest(maxDuration = "30s")
  void issue(byte[] input) throws Exception {
    String pem = new String(input, StandardCharsets.UTF_8);
    issue(pem);
    PKCS10CertificationRequest csr;
    try {
      csr = Pem.certificationRequest(pem);
    } catch (RuntimeException e) {
      return; // not a CSR at all; the first try covered it
    }
    issue(resigned(csr));
  }

  private static void issue(String pem) {
    try {
      CertificateAuthority.Issued issued = CA.issue(CALLER, pem, 0);
      List<String> names = new ArrayList<>();
      for (List<?> san : issued.certificate().getSubjectAlternativeNames()) {
        names.add(san.get(1).toString());
      }
      assertThat(names).containsExactly(CALLER.toString());
    } catch (Refusal expected) {
      assertThat(expected.reason()).isNotBlank();
    } catch (java.security.cert.CertificateParsingException e) {
      throw new AssertionError("the issued certificate cannot be read", e);
    }
  }

  /** {@code csr}'s subject and attributes over this test's key, signed by it. */
  private static String resigned(PKCS10CertificationRequest csr) throws Exception {
    PKCS10CertificationRequestBuilder b =
        new JcaPKCS10CertificationRequestBuilder(csr.getSubject(), KEY.getPublic());
    for (Attribute a : csr.getAttributes()) {
      b.addAttribute(a.getAttrType(), a.getAttributeValues());
    }
    return Pem.encode(
        b.build(
            new JcaContentSignerBuilder(KeyType.signatureAlgorithm(KEY.getPublic()))
                .build(KEY.getPrivate())));
  }

  private static CertificateAuthority ca() {
    try {
      Path dir = Files.createTempDirectory("tollgate-fuzz-ca");
      dir.toFile().deleteOnExit();
      return new CertificateAuthority(
          CaState.open(dir, null, "cluster.local"),
          new CertificateAuthority.Settings(
              "cluster.local", Duration.ofHours(1), Duration.ofHours(24)),
          new Revocations(dir),
          Clock.systemUTC());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
