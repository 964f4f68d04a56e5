package io.tollgate.server.envoy;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.MapAttributes;
import io.tollgate.adapter.spi.Vocabulary;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code AttributeMapper} turns Envoy's {@code CheckRequest} into Tollgate's attributes. This class
 * is the mapping table; the README repeats it:
 *
 * <pre>
 * source.ip / source.port          attributes.source.address.socket_address.{address,port_value}
 * source.principal                 attributes.source.principal (the peer certificate's URI SAN)
 * source.labels                    attributes.source.labels
 * source.namespace                 the ns/&lt;namespace&gt; part of a SPIFFE source.principal
 * destination.ip / destination.port attributes.destination.address.socket_address
 * destination.principal            attributes.destination.principal
 * destination.service.host         attributes.context_extensions["destination.service.host"] when
 *                                  present (the proxy's config: the workload it protects), else
 *                                  attributes.request.http.host without the port (the caller's Host)
 * destination.service.namespace    attributes.context_extensions["destination.service.namespace"]
 * request.id                       attributes.request.http.id
 * request.method                   attributes.request.http.method
 * request.path                     attributes.request.http.path (with the query)
 * request.url_path                 request.path without the query
 * request.query_params             the query of request.path, decoded; first value wins
 * request.host                     attributes.request.http.host
 * request.scheme                   attributes.request.http.scheme
 * request.headers                  attributes.request.http.headers (or header_map), keys lower case
 * request.size                     attributes.request.http.size (-1 when unknown)
 * request.body                     attributes.request.http.body, or raw_body as UTF-8 (with_request_body)
 * request.time                     attributes.request.time
 * context.protocol                 attributes.request.http.protocol (HTTP/1.1, HTTP/2, ...)
 * context.extensions               attributes.context_extensions
 * context.metadata                 attributes.metadata_context.filter_metadata (as maps)
 * connection.requested_server_name attributes.tls_session.sni
 * connection.mtls                  true when source.principal or source.certificate is set
 * </pre>
 *
 * <p>Anything absent is left out (rules read it as the zero value). When the context extensions
 * carry {@code destination.service.host} (even empty), the Host header plays no part in {@code
 * destination.service.*}: a caller that sends another Host reaches the same workload through a
 * sidecar's catch-all virtual host and must not escape its rules. {@code request.host} stays the
 * header as sent. Stateless and thread-safe.
 */
public final class AttributeMapper {
  private static final int MAX_QUERY_PARAMS = 100;

  /** The context extension that names the protected workload's host, set by the proxy's config. */
  public static final String EXTENSION_SERVICE_HOST = Vocabulary.DESTINATION_SERVICE_HOST;

  /** The context extension that names the protected workload's namespace. */
  public static final String EXTENSION_SERVICE_NAMESPACE = Vocabulary.DESTINATION_SERVICE_NAMESPACE;

  private AttributeMapper() {}

  /** Maps one request. Never throws for odd input: what cannot be read is left out. */
  public static Attributes map(CheckRequest request) {
    MapAttributes.Builder b = MapAttributes.builder();
    AttributeContext a = request.getAttributes();
    if (a.hasSource()) {
      AttributeContext.Peer s = a.getSource();
      address(b, s.getAddress(), Vocabulary.SOURCE_IP, Vocabulary.SOURCE_PORT);
      nonEmpty(b, Vocabulary.SOURCE_PRINCIPAL, s.getPrincipal());
      if (s.getLabelsCount() > 0) {
        b.put(Vocabulary.SOURCE_LABELS, s.getLabelsMap());
      }
      String ns = spiffeNamespace(s.getPrincipal());
      nonEmpty(b, Vocabulary.SOURCE_NAMESPACE, ns);
      b.put(
          Vocabulary.CONNECTION_MTLS, !s.getPrincipal().isEmpty() || !s.getCertificate().isEmpty());
    }
    if (a.hasDestination()) {
      AttributeContext.Peer d = a.getDestination();
      address(b, d.getAddress(), Vocabulary.DESTINATION_IP, Vocabulary.DESTINATION_PORT);
      nonEmpty(b, Vocabulary.DESTINATION_PRINCIPAL, d.getPrincipal());
    }
    if (a.hasRequest()) {
      AttributeContext.Request r = a.getRequest();
      if (r.hasTime()) {
        b.put(
            Vocabulary.REQUEST_TIME,
            Instant.ofEpochSecond(r.getTime().getSeconds(), r.getTime().getNanos()));
      }
      if (r.hasHttp()) {
        http(b, r.getHttp());
      }
    }
    Map<String, String> extensions = a.getContextExtensionsMap();
    if (!extensions.isEmpty()) {
      b.put(Vocabulary.CONTEXT_EXTENSIONS, extensions);
    }
    String configuredHost = extensions.get(EXTENSION_SERVICE_HOST);
    if (configuredHost != null) {
      nonEmpty(b, Vocabulary.DESTINATION_SERVICE_HOST, configuredHost);
    } else if (a.hasRequest() && a.getRequest().hasHttp()) {
      nonEmpty(
          b,
          Vocabulary.DESTINATION_SERVICE_HOST,
          hostWithoutPort(a.getRequest().getHttp().getHost()));
    }
    nonEmpty(
        b, Vocabulary.DESTINATION_SERVICE_NAMESPACE, extensions.get(EXTENSION_SERVICE_NAMESPACE));
    if (a.hasMetadataContext() && a.getMetadataContext().getFilterMetadataCount() > 0) {
      Map<String, Object> m = new LinkedHashMap<>();
      a.getMetadataContext().getFilterMetadataMap().forEach((k, v) -> m.put(k, struct(v)));
      b.put(Vocabulary.CONTEXT_METADATA, m);
    }
    if (a.hasTlsSession()) {
      nonEmpty(b, Vocabulary.CONNECTION_SNI, a.getTlsSession().getSni());
    }
    return b.build();
  }

  private static void http(MapAttributes.Builder b, AttributeContext.HttpRequest h) {
    nonEmpty(b, Vocabulary.REQUEST_ID, h.getId());
    nonEmpty(b, Vocabulary.REQUEST_METHOD, h.getMethod());
    nonEmpty(b, Vocabulary.REQUEST_HOST, h.getHost());
    nonEmpty(b, Vocabulary.REQUEST_SCHEME, h.getScheme());
    nonEmpty(b, Vocabulary.CONTEXT_PROTOCOL, h.getProtocol());
    b.put(Vocabulary.REQUEST_SIZE, h.getSize());
    if (!h.getBody().isEmpty()) {
      b.put(Vocabulary.REQUEST_BODY, h.getBody());
    } else if (!h.getRawBody().isEmpty()) {
      b.put(Vocabulary.REQUEST_BODY, h.getRawBody().toStringUtf8());
    }
    String path = h.getPath();
    if (!path.isEmpty()) {
      b.put(Vocabulary.REQUEST_PATH, path);
      int q = path.indexOf('?');
      b.put(Vocabulary.REQUEST_URL_PATH, q < 0 ? path : path.substring(0, q));
      if (q >= 0) {
        b.put(Vocabulary.REQUEST_QUERY_PARAMS, query(path.substring(q + 1)));
      }
    }
    Map<String, String> headers = new HashMap<>(h.getHeadersMap());
    if (h.hasHeaderMap()) {
      for (HeaderValue v : h.getHeaderMap().getHeadersList()) {
        String value = v.getValue().isEmpty() ? v.getRawValue().toStringUtf8() : v.getValue();
        headers.merge(v.getKey(), value, (x, y) -> x + "," + y);
      }
    }
    if (!headers.isEmpty()) {
      b.put(Vocabulary.REQUEST_HEADERS, headers);
    }
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

  /**
   * {@code host} without its port: {@code [::1]:9080} gives {@code ::1}, {@code a.b:80} gives
   * {@code a.b}; a bare IPv6 address stays as it is. Every transport derives {@code
   * destination.service.host} from the Host header with this.
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
  static String spiffeNamespace(String principal) {
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

  static void address(MapAttributes.Builder b, Address a, String ipName, String portName) {
    if (a.hasSocketAddress()) {
      nonEmpty(b, ipName, a.getSocketAddress().getAddress());
      if (a.getSocketAddress().getPortValue() != 0) {
        b.put(portName, (long) a.getSocketAddress().getPortValue());
      }
    }
  }

  static void nonEmpty(MapAttributes.Builder b, String name, String value) {
    if (value != null && !value.isEmpty()) {
      b.put(name, value);
    }
  }

  private static Map<String, Object> struct(Struct s) {
    Map<String, Object> m = new LinkedHashMap<>();
    s.getFieldsMap().forEach((k, v) -> m.put(k, value(v)));
    return m;
  }

  private static Object value(Value v) {
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case NUMBER_VALUE -> v.getNumberValue();
      case STRUCT_VALUE -> struct(v.getStructValue());
      case LIST_VALUE -> list(v.getListValue());
      default -> "";
    };
  }

  private static List<Object> list(ListValue l) {
    List<Object> out = new ArrayList<>(l.getValuesCount());
    l.getValuesList().forEach(v -> out.add(value(v)));
    return out;
  }
}
