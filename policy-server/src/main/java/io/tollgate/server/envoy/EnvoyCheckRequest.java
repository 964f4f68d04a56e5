package io.tollgate.server.envoy;

import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * {@code EnvoyCheckRequest} builds a {@code CheckRequest} the way Envoy's ext_authz filter fills
 * one for an HTTP request: peers with socket addresses, the HTTP request with id, method, path,
 * host, scheme, protocol, and a header map that includes the {@code :authority}, {@code :method}
 * and {@code :path} pseudo-headers. Used by {@code tollgate check} and by tests.
 */
public final class EnvoyCheckRequest {
  private String method = "GET";
  private String path = "/";
  private String host = "localhost";
  private String scheme = "http";
  private String protocol = "HTTP/1.1";
  private String sourceIp = "127.0.0.1";
  private int sourcePort = 40000;
  private String principal = "";
  private String destinationIp = "127.0.0.1";
  private int destinationPort = 8080;
  private final Map<String, String> headers = new LinkedHashMap<>();
  private final Map<String, String> context = new LinkedHashMap<>();
  private String sni = "";

  public static EnvoyCheckRequest http(String method, String host, String path) {
    EnvoyCheckRequest r = new EnvoyCheckRequest();
    r.method = method;
    r.host = host;
    r.path = path;
    return r;
  }

  public EnvoyCheckRequest header(String name, String value) {
    headers.put(name.toLowerCase(Locale.ROOT), value);
    return this;
  }

  public EnvoyCheckRequest source(String ip, int port) {
    this.sourceIp = ip;
    this.sourcePort = port;
    return this;
  }

  /** The caller's SPIFFE ID, as Envoy reports it for a verified mTLS peer. */
  public EnvoyCheckRequest principal(String spiffeId) {
    this.principal = spiffeId;
    return this;
  }

  public EnvoyCheckRequest destination(String ip, int port) {
    this.destinationIp = ip;
    this.destinationPort = port;
    return this;
  }

  public EnvoyCheckRequest contextExtension(String key, String value) {
    context.put(key, value);
    return this;
  }

  public EnvoyCheckRequest scheme(String scheme) {
    this.scheme = scheme;
    return this;
  }

  public EnvoyCheckRequest sni(String sni) {
    this.sni = sni;
    return this;
  }

  public CheckRequest build() {
    AttributeContext.HttpRequest.Builder http =
        AttributeContext.HttpRequest.newBuilder()
            .setId(UUID.randomUUID().toString())
            .setMethod(method)
            .setPath(path)
            .setHost(host)
            .setScheme(scheme)
            .setProtocol(protocol)
            .setSize(0)
            .putHeaders(":authority", host)
            .putHeaders(":method", method)
            .putHeaders(":path", path)
            .putHeaders(":scheme", scheme);
    headers.forEach(http::putHeaders);
    Instant now = Instant.now();
    AttributeContext.Peer.Builder source =
        AttributeContext.Peer.newBuilder()
            .setAddress(address(sourceIp, sourcePort))
            .setPrincipal(principal);
    AttributeContext.Builder a =
        AttributeContext.newBuilder()
            .setSource(source)
            .setDestination(
                AttributeContext.Peer.newBuilder()
                    .setAddress(address(destinationIp, destinationPort)))
            .setRequest(
                AttributeContext.Request.newBuilder()
                    .setTime(
                        Timestamp.newBuilder()
                            .setSeconds(now.getEpochSecond())
                            .setNanos(now.getNano()))
                    .setHttp(http))
            .putAllContextExtensions(context);
    if (!sni.isEmpty()) {
      a.setTlsSession(AttributeContext.TLSSession.newBuilder().setSni(sni));
    }
    return CheckRequest.newBuilder().setAttributes(a).build();
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }
}
