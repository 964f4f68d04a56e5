package io.tollgate.citadel;

import java.util.regex.Pattern;

/**
 * A workload identity in Istio's form: {@code
 * spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>}. Trust domain, namespace and service
 * account are restricted to what Kubernetes allows for their names, so an ID never carries anything
 * a path, a log line or a rule would trip over.
 */
public record SpiffeId(String trustDomain, String namespace, String serviceAccount) {
  private static final Pattern TRUST_DOMAIN =
      Pattern.compile("[a-z0-9]([a-z0-9.\\-_]{0,251}[a-z0-9])?");
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.\\-]{0,251}[a-z0-9])?");
  private static final Pattern FORM = Pattern.compile("spiffe://([^/]+)/ns/([^/]+)/sa/([^/]+)");

  public SpiffeId {
    check("trust domain", trustDomain, TRUST_DOMAIN);
    check("namespace", namespace, NAME);
    check("service account", serviceAccount, NAME);
  }

  /**
   * Parses {@code spiffe://td/ns/N/sa/S}; throws {@link IllegalArgumentException} saying what is
   * wrong.
   */
  public static SpiffeId parse(String uri) {
    var m = FORM.matcher(uri == null ? "" : uri);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a workload SPIFFE ID of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>: '"
              + abbreviate(uri)
              + "'");
    }
    return new SpiffeId(m.group(1), m.group(2), m.group(3));
  }

  private static void check(String what, String value, Pattern allowed) {
    if (value == null || !allowed.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what
              + " '"
              + abbreviate(value)
              + "' must be lower-case letters, digits, '-' and '.', starting and ending with a letter or digit");
    }
  }

  static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    return s.length() <= 120 ? s : s.substring(0, 120) + "... (" + s.length() + " characters)";
  }

  @Override
  public String toString() {
    return "spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
