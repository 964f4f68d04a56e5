package io.tollgate.citadel;

import java.io.IOException;
import java.security.KeyPair;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Builds the PKCS#10 request an agent sends: empty subject, the SPIFFE ID as its URI SAN. */
public final class Csr {
  private Csr() {}

  public static String forIdentity(SpiffeId id, KeyPair key) {
    return withNames(
        key, List.of(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())));
  }

  /** A CSR naming exactly {@code names} (also used by tests to ask for more than is allowed). */
  public static String withNames(KeyPair key, List<GeneralName> names) {
    try {
      var builder =
          new JcaPKCS10CertificationRequestBuilder(new X500Name(new RDN[0]), key.getPublic());
      if (!names.isEmpty()) {
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(
            Extension.subjectAlternativeName,
            true,
            new GeneralNames(names.toArray(GeneralName[]::new)));
        builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      return Pem.encode(
          builder.build(
              new JcaContentSignerBuilder(KeyType.signatureAlgorithm(key.getPublic()))
                  .build(key.getPrivate())));
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build a CSR: " + e.getMessage(), e);
    }
  }
}
