package io.tollgate.citadel;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;

/** The key types Tollgate generates, and the signature algorithm that goes with each. */
public enum KeyType {
  EC_P256,
  RSA_2048;

  /**
   * BouncyCastle, for the CA's signatures and CSR checks: its P-256 arithmetic signs and verifies
   * several times faster than the JDK 17 provider's (see benchmarks/RESULTS.md). Used by reference,
   * never installed as a JVM-wide provider.
   */
  public static final java.security.Provider PROVIDER =
      new org.bouncycastle.jce.provider.BouncyCastleProvider();

  public KeyPair generate() {
    try {
      if (this == EC_P256) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate " + this + " keys", e);
    }
  }

  /** SHA256withECDSA or SHA256withRSA: the algorithm to sign with {@code key}'s private half. */
  public static String signatureAlgorithm(PublicKey key) {
    if (key instanceof ECPublicKey) {
      return "SHA256withECDSA";
    }
    if (key instanceof RSAPublicKey) {
      return "SHA256withRSA";
    }
    throw new IllegalArgumentException("unsupported key algorithm " + key.getAlgorithm());
  }
}
