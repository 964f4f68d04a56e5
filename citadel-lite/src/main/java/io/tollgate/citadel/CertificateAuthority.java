package io.tollgate.citadel;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Signs workload certificates. The identity always comes from the caller's authentication; from the
 * CSR only the public key is taken, after checking that the CSR is signed by it, that the key is
 * strong enough, and that it asks for no name but that identity. Issued certificates have an empty
 * subject, the SPIFFE ID as their only (critical) URI SAN, and serverAuth + clientAuth.
 */
public final class CertificateAuthority {
  /** Certificates start this much before issuance, so peers with a slow clock accept them. */
  static final Duration BACKDATE = Duration.ofSeconds(10);

  static final int MAX_CSR_CHARS = 64 * 1024;

  public record Settings(String trustDomain, Duration defaultTtl, Duration maxTtl) {
    public Settings {
      if (defaultTtl.isNegative() || defaultTtl.isZero() || maxTtl.compareTo(defaultTtl) < 0) {
        throw new IllegalArgumentException(
            "TTLs must be positive and the default ("
                + defaultTtl
                + ") no longer than the maximum ("
                + maxTtl
                + ")");
      }
    }
  }

  /** What was issued: the chain for the caller (workload certificate first, root last). */
  public record Issued(X509Certificate certificate, List<X509Certificate> chain, Duration ttl) {}

  private final CaState state;
  private final Settings settings;
  private final Revocations revocations;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final JcaContentSignerBuilder signer;
  private final Set<TrustAnchor> anchors;

  public CertificateAuthority(
      CaState state, Settings settings, Revocations revocations, Clock clock) {
    this.state = state;
    this.settings = settings;
    this.revocations = revocations;
    this.clock = clock;
    this.signer =
        new JcaContentSignerBuilder(KeyType.signatureAlgorithm(state.caCert.getPublicKey()))
            .setProvider(KeyType.PROVIDER);
    this.anchors =
        state.roots.stream()
            .map(r -> new TrustAnchor(r, null))
            .collect(Collectors.toUnmodifiableSet());
  }

  public Settings settings() {
    return settings;
  }

  /** The roots workloads trust (root-cert.pem). */
  public List<X509Certificate> trustBundle() {
    return state.roots;
  }

  /**
   * Issues a certificate for {@code id} (already authenticated) from {@code csrPem}, valid for
   * {@code requestedSeconds} (0: the default; more than the maximum: the maximum).
   */
  public Issued issue(SpiffeId id, String csrPem, long requestedSeconds) throws Refusal {
    if (!id.trustDomain().equals(settings.trustDomain)) {
      throw Refusal.denied(
          "trust_domain", id + " is not in this CA's trust domain " + settings.trustDomain);
    }
    if (requestedSeconds < 0) {
      throw Refusal.invalid(
          "bad_validity",
          "validity_duration must be 0 (the CA's default) or a positive number of seconds, not "
              + requestedSeconds);
    }
    PublicKey key = checkedKey(id, csrPem);
    Duration ttl =
        requestedSeconds == 0
            ? settings.defaultTtl
            : requestedSeconds >= settings.maxTtl.toSeconds()
                ? settings.maxTtl
                : Duration.ofSeconds(requestedSeconds);
    Instant now = clock.instant();
    Instant notAfter = now.plus(ttl);
    Instant caNotAfter = state.caCert.getNotAfter().toInstant();
    if (notAfter.isAfter(caNotAfter)) {
      notAfter = caNotAfter;
      ttl = Duration.between(now, notAfter);
    }
    X509Certificate cert =
        sign(
            key,
            new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())),
            now.minus(BACKDATE),
            notAfter);
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(cert);
    chain.addAll(state.chain);
    X509Certificate last = chain.get(chain.size() - 1);
    if (!state.roots.contains(last)) {
      chain.add(state.roots.get(0));
    }
    return new Issued(cert, chain, ttl);
  }

  /**
   * The CA's own TLS certificate: {@code spiffe://<td>/ns/<ns>/sa/<sa>} plus the host names and
   * addresses agents dial.
   */
  public Issued issueServing(SpiffeId id, PublicKey key, List<String> hosts, Duration ttl) {
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString()));
    for (String h : hosts) {
      names.add(
          isAddress(h)
              ? new GeneralName(GeneralName.iPAddress, h)
              : new GeneralName(GeneralName.dNSName, h));
    }
    Instant now = clock.instant();
    X509Certificate cert =
        sign(
            key,
            new GeneralNames(names.toArray(GeneralName[]::new)),
            now.minus(BACKDATE),
            now.plus(ttl));
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(cert);
    chain.addAll(state.chain);
    return new Issued(cert, chain, ttl);
  }

  private static boolean isAddress(String h) {
    return h.matches("[0-9.]+") || h.contains(":");
  }

  private X509Certificate sign(
      PublicKey key, GeneralNames names, Instant notBefore, Instant notAfter) {
    try {
      BigInteger serial = new BigInteger(127, random).add(BigInteger.ONE);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      int usage =
          KeyUsage.digitalSignature | (key instanceof RSAPublicKey ? KeyUsage.keyEncipherment : 0);
      var builder =
          new JcaX509v3CertificateBuilder(
                  state.caCert,
                  serial,
                  Date.from(notBefore),
                  Date.from(notAfter),
                  new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
                  key)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(usage))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }))
              .addExtension(Extension.subjectAlternativeName, true, names)
              .addExtension(
                  Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(state.caCert));
      return new JcaX509CertificateConverter()
          .getCertificate(builder.build(signer.build(state.caKey)));
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("signing failed: " + e.getMessage(), e);
    }
  }

  private PublicKey checkedKey(SpiffeId id, String csrPem) throws Refusal {
    if (csrPem == null || csrPem.isBlank()) {
      throw Refusal.invalid(
          "empty_csr", "csr is empty; send a PEM-encoded PKCS#10 certificate request");
    }
    if (csrPem.length() > MAX_CSR_CHARS) {
      throw Refusal.invalid(
          "malformed_csr",
          "csr is " + csrPem.length() + " characters; at most " + MAX_CSR_CHARS + " are accepted");
    }
    PKCS10CertificationRequest csr;
    PublicKey key;
    try {
      csr = Pem.certificationRequest(csrPem);
      key = new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
    } catch (IOException | RuntimeException e) {
      throw Refusal.invalid(
          "malformed_csr", "csr is not a PKCS#10 certificate request: " + e.getMessage());
    }
    try {
      if (!csr.isSignatureValid(
          new JcaContentVerifierProviderBuilder().setProvider(KeyType.PROVIDER).build(key))) {
        throw Refusal.invalid("csr_signature", "the CSR is not signed by the key it carries");
      }
    } catch (OperatorCreationException | PKCSException e) {
      throw Refusal.invalid(
          "csr_signature", "the CSR's signature cannot be checked: " + e.getMessage());
    } catch (IllegalStateException | IllegalArgumentException e) {
      // Bouncy Castle reads the signature's BIT STRING only now, and throws for a malformed one.
      throw Refusal.invalid("csr_signature", "the CSR's signature is not a valid BIT STRING");
    }
    if (key instanceof RSAPublicKey rsa) {
      if (rsa.getModulus().bitLength() < 2048) {
        throw Refusal.invalid(
            "weak_key",
            "RSA keys must have at least 2048 bits; this one has " + rsa.getModulus().bitLength());
      }
    } else if (key instanceof ECPublicKey ec) {
      if (ec.getParams().getCurve().getField().getFieldSize() < 256) {
        throw Refusal.invalid(
            "weak_key", "EC keys must be on a curve of at least 256 bits (P-256, P-384)");
      }
    } else {
      throw Refusal.invalid(
          "weak_key",
          "key algorithm " + key.getAlgorithm() + " is not accepted; use EC P-256 or RSA 2048+");
    }
    for (Attribute attribute :
        csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      for (ASN1Encodable value : attribute.getAttributeValues()) {
        BasicConstraints bc;
        GeneralNames sans;
        try {
          // Bouncy Castle parses an extension's value when asked for it, and throws
          // IllegalArgumentException or IllegalStateException for one that is not the DER it
          // should be.
          Extensions requested = Extensions.getInstance(value);
          bc = BasicConstraints.fromExtensions(requested);
          sans = GeneralNames.fromExtensions(requested, Extension.subjectAlternativeName);
        } catch (IllegalArgumentException | IllegalStateException e) {
          throw Refusal.invalid(
              "malformed_csr",
              "the CSR's extension request is not a valid list of X.509 extensions");
        }
        if (bc != null && bc.isCA()) {
          throw Refusal.denied(
              "csr_ca", "the CSR asks for a CA certificate; workloads get leaf certificates only");
        }
        if (sans == null) {
          continue;
        }
        for (GeneralName n : sans.getNames()) {
          String v = n.getName().toString();
          if (n.getTagNo() != GeneralName.uniformResourceIdentifier || !v.equals(id.toString())) {
            throw Refusal.denied(
                "csr_identity",
                "the CSR asks for "
                    + describe(n)
                    + ", but the caller is authenticated as "
                    + id
                    + "; a CSR may name only that identity");
          }
        }
      }
    }
    return key;
  }

  private static String describe(GeneralName n) {
    String kind =
        switch (n.getTagNo()) {
          case GeneralName.uniformResourceIdentifier -> "URI SAN";
          case GeneralName.dNSName -> "DNS SAN";
          case GeneralName.iPAddress -> "IP SAN";
          case GeneralName.rfc822Name -> "email SAN";
          default -> "SAN of type " + n.getTagNo();
        };
    return kind + " '" + SpiffeId.abbreviate(n.getName().toString()) + "'";
  }

  /**
   * The identity of a caller who presents a certificate chain (renewal): the chain must lead to
   * this CA's roots, be valid now, not be revoked, and carry one SPIFFE ID of this trust domain.
   */
  public SpiffeId verifyPeer(X509Certificate[] presented) throws Refusal {
    X509Certificate[] chain = readable(presented);
    X509Certificate leaf = chain[0];
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
      path.removeIf(state.roots::contains);
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(clock.instant()));
      CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), params);
    } catch (CertPathValidatorException e) {
      if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
        throw Refusal.unauthenticated(
            "certificate_expired",
            "the client certificate expired at "
                + leaf.getNotAfter().toInstant()
                + "; renew with a bootstrap token");
      }
      throw Refusal.unauthenticated(
          "certificate_untrusted",
          "the client certificate does not chain to this CA: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw Refusal.unauthenticated(
          "certificate_untrusted", "the client certificate cannot be checked: " + e.getMessage());
    }
    if (revocations.isRevoked(leaf.getSerialNumber())) {
      throw Refusal.denied(
          "certificate_revoked",
          "the client certificate (serial "
              + leaf.getSerialNumber().toString(16)
              + ") is revoked; renew with a bootstrap token");
    }
    SpiffeId id;
    try {
      id = spiffeIdOf(leaf);
    } catch (IllegalArgumentException e) {
      throw Refusal.unauthenticated(
          "certificate_identity",
          "the client certificate has no workload identity: " + e.getMessage());
    }
    if (!id.trustDomain().equals(settings.trustDomain)) {
      throw Refusal.denied(
          "trust_domain", id + " is not in this CA's trust domain " + settings.trustDomain);
    }
    return id;
  }

  /**
   * {@code presented}, each certificate parsed now from its encoding. The TLS layer hands over
   * certificates it has not parsed (Netty's lazy ones), whose first use throws an unchecked
   * exception for bytes the JDK refuses: an empty subject without a critical SAN (RFC 5280
   * 4.2.1.6), a SAN that is not a valid URI. Parsing here turns that into a refusal that says so.
   */
  private static X509Certificate[] readable(X509Certificate[] presented) throws Refusal {
    X509Certificate[] out = new X509Certificate[presented.length];
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (int i = 0; i < presented.length; i++) {
        out[i] =
            (X509Certificate)
                cf.generateCertificate(new ByteArrayInputStream(presented[i].getEncoded()));
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      throw Refusal.unauthenticated(
          "certificate_malformed",
          "the client certificate is not a valid X.509 certificate: " + rootMessage(e));
    }
    return out;
  }

  /** The innermost message: the JDK wraps the reason in one or two exceptions that repeat it. */
  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** The one SPIFFE ID in a certificate's URI SANs. */
  public static SpiffeId spiffeIdOf(X509Certificate cert) {
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (java.security.cert.CertificateParsingException e) {
      throw new IllegalArgumentException(
          "unreadable subject alternative names: " + e.getMessage(), e);
    }
    List<String> uris = new ArrayList<>();
    if (sans != null) {
      for (List<?> san : sans) {
        if (Integer.valueOf(GeneralName.uniformResourceIdentifier).equals(san.get(0))) {
          uris.add(String.valueOf(san.get(1)));
        }
      }
    }
    List<String> spiffe = uris.stream().filter(u -> u.startsWith("spiffe://")).toList();
    if (spiffe.size() != 1) {
      throw new IllegalArgumentException(
          "expected exactly one spiffe:// URI SAN, found " + spiffe.size());
    }
    return SpiffeId.parse(spiffe.get(0));
  }
}
