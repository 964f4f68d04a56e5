package io.tollgate.citadel;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * Bootstrap tokens: short-lived JWTs (ES256, signed with the CA's token key) that let a workload
 * obtain its first certificate. The subject is the workload's SPIFFE ID, the audience {@value
 * #AUDIENCE}; the CA checks signature, audience, expiry and trust domain, and issues for the
 * subject and nothing else. A token is refused from the instant it expires, with no grace period.
 */
public final class BootstrapTokens {
  public static final String AUDIENCE = "tollgate-ca";

  /**
   * How long before its {@code nbf} a token is accepted: the clock of the host that ran {@code
   * tollgate ca token} may be ahead of the CA's. There is no such grace after {@code exp}: an
   * expired token is refused at once, since a leaked one must not outlive the TTL it was given.
   */
  static final Duration NOT_BEFORE_LEEWAY = Duration.ofSeconds(30);

  private final KeyPair key;
  private final String trustDomain;
  private final Clock clock;

  public BootstrapTokens(KeyPair key, String trustDomain, Clock clock) {
    this.key = key;
    this.trustDomain = trustDomain;
    this.clock = clock;
  }

  public String issue(SpiffeId id, Duration ttl) {
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("token TTL must be positive, not " + ttl);
    }
    Instant now = clock.instant();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(AUDIENCE + "/" + trustDomain)
            .audience(AUDIENCE)
            .subject(id.toString())
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .jwtID(UUID.randomUUID().toString())
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(new ECDSASigner((ECPrivateKey) key.getPrivate()));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  /**
   * The identity a valid token speaks for; a {@link Refusal} (UNAUTHENTICATED) saying why
   * otherwise.
   */
  public SpiffeId verify(String token) throws Refusal {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw Refusal.unauthenticated(
          "token_malformed", "the bearer token is not a JWT: " + e.getMessage());
    }
    try {
      if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())
          || !jwt.verify(new ECDSAVerifier((ECPublicKey) key.getPublic()))) {
        throw Refusal.unauthenticated(
            "token_signature", "the bearer token is not signed by this CA's token key");
      }
    } catch (JOSEException e) {
      throw Refusal.unauthenticated(
          "token_signature", "the bearer token's signature cannot be checked: " + e.getMessage());
    }
    Instant now = clock.instant();
    if (claims.getExpirationTime() == null
        || !claims.getExpirationTime().toInstant().isAfter(now)) {
      throw Refusal.unauthenticated(
          "token_expired",
          "the bearer token expired at "
              + (claims.getExpirationTime() == null
                  ? "(no exp claim)"
                  : claims.getExpirationTime().toInstant())
              + "; issue a new one with tollgate ca token");
    }
    if (claims.getNotBeforeTime() != null
        && claims.getNotBeforeTime().toInstant().minus(NOT_BEFORE_LEEWAY).isAfter(now)) {
      throw Refusal.unauthenticated(
          "token_not_yet_valid",
          "the bearer token is not valid before " + claims.getNotBeforeTime().toInstant());
    }
    if (claims.getAudience() == null || !claims.getAudience().contains(AUDIENCE)) {
      throw Refusal.unauthenticated(
          "token_audience",
          "the bearer token's audience " + claims.getAudience() + " does not include " + AUDIENCE);
    }
    SpiffeId id;
    try {
      id = SpiffeId.parse(claims.getSubject());
    } catch (IllegalArgumentException e) {
      throw Refusal.unauthenticated(
          "token_subject", "the bearer token's subject is " + e.getMessage());
    }
    if (!id.trustDomain().equals(trustDomain)) {
      throw Refusal.denied(
          "trust_domain",
          "the token is for trust domain " + id.trustDomain() + ", this CA serves " + trustDomain);
    }
    return id;
  }

  /** The subject of a token, unverified: what an agent puts in its CSR. */
  public static SpiffeId subjectOf(String token) {
    try {
      return SpiffeId.parse(SignedJWT.parse(token).getJWTClaimsSet().getSubject());
    } catch (ParseException e) {
      throw new IllegalArgumentException("the token is not a JWT: " + e.getMessage(), e);
    }
  }
}
