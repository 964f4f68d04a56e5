package io.tollgate.server.attributes;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code AttributeValues} holds the derivations {@link AttributeTable} applies to what a {@link
 * RequestView} reports, and the principal order every view with certificate facts uses.
 */
public final class AttributeValues {
  private static final int MAX_QUERY_PARAMS = 100;

  private AttributeValues() {}

  /**
   * {@code host} without its port: {@code [::1]:9080} gives {@code ::1}, {@code a.b:80} gives
   * {@code a.b}; a bare IPv6 address stays as it is.
   */
  public static String hostWithoutPort(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end > 0 ? host.substring(1, end) : host;
    }
    int colon = host.lastIndexOf(':');
    return colon >= 0 && host.indexOf(':') == colon ? host.substring(0, colon) : host;
  }

  /** The namespace of {@code spiffe://<trust-domain>/ns/<ns>/sa/<sa>}, or empty. */
  public static String spiffeNamespace(String principal) {
    if (!principal.startsWith("spiffe://")) {
      return "";
    }
    String[] parts = principal.substring("spiffe://".length()).split("/");
    for (int i = 1; i + 1 < parts.length; i++) {
      if (parts[i].equals("ns")) {
        return parts[i + 1];
      }
    }
    return "";
  }

  /**
   * A certificate's principal: its URI SAN, else its DNS SAN, else its subject; empty when it has
   * none (the order of Envoy's {@code AttributeContext.Peer.principal}).
   */
  public static String principal(String uriSan, String dnsSan, String subject) {
    if (uriSan != null && !uriSan.isEmpty()) {
      return uriSan;
    }
    if (dnsSan != null && !dnsSan.isEmpty()) {
      return dnsSan;
    }
    return subject == null ? "" : subject;
  }

  /**
   * Parses a query string into {@code request.query_params}: decoded, first value of a name wins,
   * at most 100 names; undecodable parts are kept as they are.
   */
  public static Map<String, String> query(String q) {
    Map<String, String> out = new LinkedHashMap<>();
    int hash = q.indexOf('#');
    if (hash >= 0) {
      q = q.substring(0, hash);
    }
    for (String pair : q.split("&")) {
      if (pair.isEmpty() || out.size() >= MAX_QUERY_PARAMS) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = decode(eq < 0 ? pair : pair.substring(0, eq));
      String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
      out.putIfAbsent(k, v);
    }
    return out;
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
