package io.tollgate.server.http;

import io.tollgate.server.attributes.LowerCaseHeaders;
import io.tollgate.server.attributes.RequestView;
import java.time.Instant;
import java.util.Map;

/**
 * {@code HttpRequestView} is a request described to the HTTP check endpoint, as a {@link
 * RequestView}. Two kinds of caller describe it differently:
 *
 * <ul>
 *   <li>Envoy's HTTP service ({@link #envoy}): the request line and headers are the original
 *       request's; {@code source.ip} is the peer (Envoy) unless {@code X-Forwarded-For} is trusted
 *       by configuration; the scheme is {@code X-Forwarded-Proto}, which Envoy sets.
 *   <li>nginx's {@code auth_request} ({@link #nginx}): the original method, URI, client address,
 *       Host and HTTP version come in {@code X-Original-Method}, {@code X-Original-URI}, {@code
 *       X-Original-Remote-Addr}, {@code X-Original-Host} and {@code X-Original-Protocol} (nginx's
 *       {@code HTTP/2.0} read as {@code HTTP/2}), and the scheme in {@code X-Forwarded-Proto}, all
 *       of which nginx overwrites with {@code proxy_set_header}. They are read on the nginx
 *       endpoint only.
 * </ul>
 *
 * The endpoint knows no certificate, so {@code source.principal} is absent; a request that came
 * over plain {@code http} has {@code connection.mtls} false.
 */
public final class HttpRequestView implements RequestView {
  private final String method;
  private final String path;
  private final String host;
  private final String scheme;
  private final String protocol;
  private final String sourceIp;
  private final Map<String, String> headers;
  private final Instant time = Instant.now();

  private HttpRequestView(
      String method,
      String path,
      String host,
      String sourceIp,
      String protocol,
      Map<String, String> headers) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("the original URI must start with /");
    }
    this.method = method;
    this.path = path;
    this.host = host;
    this.sourceIp = sourceIp;
    this.protocol = protocol;
    this.headers = LowerCaseHeaders.of(headers);
    this.scheme = headers.getOrDefault("x-forwarded-proto", "http");
  }

  /**
   * A request from Envoy's HTTP service.
   *
   * @param method the request's method
   * @param uri its path and query, after any configured prefix
   * @param headers its headers, lower case; the view owns the map from now on
   * @param peerIp the address of the peer that sent it (Envoy)
   * @param protocol the HTTP version of the call
   * @param trustForwardedFor take {@code source.ip} from the first {@code X-Forwarded-For} entry
   * @throws IllegalArgumentException trusting {@code X-Forwarded-For}, when its first entry is not
   *     an IP address literal
   */
  public static HttpRequestView envoy(
      String method,
      String uri,
      Map<String, String> headers,
      String peerIp,
      String protocol,
      boolean trustForwardedFor) {
    String sourceIp = peerIp;
    String forwarded = headers.get("x-forwarded-for");
    if (trustForwardedFor && forwarded != null) {
      int comma = forwarded.indexOf(',');
      sourceIp = (comma < 0 ? forwarded : forwarded.substring(0, comma)).trim();
      if (!IpLiteral.is(sourceIp)) {
        throw new IllegalArgumentException(
            "the first X-Forwarded-For entry must be an IPv4 or IPv6 address, not "
                + quoted(sourceIp));
      }
    }
    String host = headers.getOrDefault("host", headers.get(":authority"));
    return new HttpRequestView(method, uri, host, sourceIp, protocol, headers);
  }

  /**
   * A request from nginx's {@code auth_request}: the {@code X-Original-*} headers are taken out of
   * {@code headers} and describe the original request; the subrequest's own Host is dropped.
   *
   * @param headers the subrequest's headers, lower case; the view owns the map from now on
   * @param peerIp the address of the peer that sent it (nginx), used without {@code
   *     X-Original-Remote-Addr}
   * @throws IllegalArgumentException without {@code X-Original-Method} or {@code X-Original-URI},
   *     or with an {@code X-Original-Remote-Addr} that is not an IP address literal (a host name
   *     would be looked up by whatever reads {@code source.ip}; the client chose it)
   */
  public static HttpRequestView nginx(Map<String, String> headers, String peerIp) {
    String method = headers.remove("x-original-method");
    String uri = headers.remove("x-original-uri");
    String remote = headers.remove("x-original-remote-addr");
    String host = headers.remove("x-original-host");
    String protocol = headers.remove("x-original-protocol");
    if (method == null || uri == null) {
      throw new IllegalArgumentException(
          "the nginx endpoint needs X-Original-Method and X-Original-URI (set them with proxy_set_header)");
    }
    headers.remove("host");
    if (host != null && !host.isEmpty()) {
      headers.put("host", host);
    }
    String sourceIp = peerIp;
    if (remote != null && !remote.isBlank()) {
      sourceIp = remote.trim();
      if (!IpLiteral.is(sourceIp)) {
        throw new IllegalArgumentException(
            "X-Original-Remote-Addr must be an IPv4 or IPv6 address (nginx's $remote_addr), not "
                + quoted(sourceIp));
      }
    }
    return new HttpRequestView(method, uri, host, sourceIp, envoyProtocol(protocol), headers);
  }

  /** {@code s} in quotes, at most 64 characters of it, for an error message. */
  private static String quoted(String s) {
    return "'" + (s.length() > 64 ? s.substring(0, 64) + "..." : s) + "'";
  }

  /** nginx's {@code $server_protocol} as Envoy names it: {@code HTTP/2.0} is {@code HTTP/2}. */
  private static String envoyProtocol(String p) {
    return p == null
        ? null
        : switch (p) {
          case "HTTP/2.0" -> "HTTP/2";
          case "HTTP/3.0" -> "HTTP/3";
          default -> p;
        };
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public String host() {
    return host;
  }

  @Override
  public String scheme() {
    return scheme;
  }

  @Override
  public String protocol() {
    return protocol;
  }

  @Override
  public String requestId() {
    return headers.get("x-request-id");
  }

  @Override
  public Map<String, String> headers() {
    return headers;
  }

  @Override
  public Instant time() {
    return time;
  }

  @Override
  public String sourceIp() {
    return sourceIp;
  }

  @Override
  public Boolean mtls() {
    return "http".equalsIgnoreCase(scheme) ? Boolean.FALSE : null;
  }
}
