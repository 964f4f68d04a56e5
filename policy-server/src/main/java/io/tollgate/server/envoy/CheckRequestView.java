package io.tollgate.server.envoy;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.server.attributes.LowerCaseHeaders;
import io.tollgate.server.attributes.RequestView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code CheckRequestView} is Envoy's ext_authz {@code CheckRequest} as a {@link RequestView}: each
 * method reads one field of {@code attributes}, nothing is copied up front.
 *
 * <pre>
 * source.address / principal / labels   attributes.source (Envoy's principal: URI SAN, DNS SAN, subject)
 * destination.address / principal       attributes.destination
 * mtls                                  source.principal or source.certificate set
 * method, path, host, scheme, protocol  attributes.request.http.*
 * id, size, body (or raw_body)          attributes.request.http.*
 * headers                               request.http.headers, or header_map (repeats joined with ,)
 * time                                  attributes.request.time
 * sni                                   attributes.tls_session.sni
 * context extensions, metadata          attributes.context_extensions, metadata_context
 * </pre>
 */
final class CheckRequestView implements RequestView {
  /** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range of a protobuf Timestamp. */
  private static final long MIN_EPOCH_SECOND = -62_135_596_800L;

  private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

  private final AttributeContext a;
  private final AttributeContext.HttpRequest http;

  CheckRequestView(CheckRequest request) {
    this.a = request.getAttributes();
    this.http = a.hasRequest() && a.getRequest().hasHttp() ? a.getRequest().getHttp() : null;
  }

  @Override
  public String method() {
    return http == null ? null : http.getMethod();
  }

  @Override
  public String path() {
    return http == null ? null : http.getPath();
  }

  @Override
  public String host() {
    return http == null ? null : http.getHost();
  }

  @Override
  public String scheme() {
    return http == null ? null : http.getScheme();
  }

  @Override
  public String protocol() {
    return http == null ? null : http.getProtocol();
  }

  @Override
  public String requestId() {
    return http == null ? null : http.getId();
  }

  @Override
  public Map<String, String> headers() {
    if (http == null) {
      return null;
    }
    if (!http.hasHeaderMap()) {
      return LowerCaseHeaders.of(http.getHeadersMap());
    }
    Map<String, String> headers = new HashMap<>(http.getHeadersMap());
    for (HeaderValue v : http.getHeaderMap().getHeadersList()) {
      String value = v.getValue().isEmpty() ? v.getRawValue().toStringUtf8() : v.getValue();
      headers.merge(v.getKey(), value, (x, y) -> x + "," + y);
    }
    return LowerCaseHeaders.of(headers);
  }

  @Override
  public Long requestSize() {
    return http == null ? null : http.getSize();
  }

  @Override
  public String body() {
    if (http == null) {
      return null;
    }
    return http.getBody().isEmpty() ? http.getRawBody().toStringUtf8() : http.getBody();
  }

  @Override
  public Instant time() {
    if (!a.hasRequest() || !a.getRequest().hasTime()) {
      return null;
    }
    Timestamp t = a.getRequest().getTime();
    // Outside 0001-01-01 to 9999-12-31 (protobuf's range for a Timestamp) the time is absurd and
    // left out; nanos out of range are clamped, as in the access log.
    if (t.getSeconds() < MIN_EPOCH_SECOND || t.getSeconds() > MAX_EPOCH_SECOND) {
      return null;
    }
    return Instant.ofEpochSecond(t.getSeconds(), Math.max(0, Math.min(999_999_999, t.getNanos())));
  }

  @Override
  public String sourceIp() {
    return a.hasSource() ? ip(a.getSource().getAddress()) : null;
  }

  @Override
  public long sourcePort() {
    return a.hasSource() ? port(a.getSource().getAddress()) : 0;
  }

  @Override
  public String sourcePrincipal() {
    return a.hasSource() ? a.getSource().getPrincipal() : null;
  }

  @Override
  public Map<String, String> sourceLabels() {
    return a.hasSource() ? a.getSource().getLabelsMap() : null;
  }

  @Override
  public String destinationIp() {
    return a.hasDestination() ? ip(a.getDestination().getAddress()) : null;
  }

  @Override
  public long destinationPort() {
    return a.hasDestination() ? port(a.getDestination().getAddress()) : 0;
  }

  @Override
  public String destinationPrincipal() {
    return a.hasDestination() ? a.getDestination().getPrincipal() : null;
  }

  @Override
  public Boolean mtls() {
    if (!a.hasSource()) {
      return null;
    }
    AttributeContext.Peer s = a.getSource();
    return !s.getPrincipal().isEmpty() || !s.getCertificate().isEmpty();
  }

  @Override
  public String sni() {
    return a.hasTlsSession() ? a.getTlsSession().getSni() : null;
  }

  @Override
  public Map<String, String> contextExtensions() {
    return a.getContextExtensionsMap();
  }

  @Override
  public Map<String, Object> metadata() {
    if (!a.hasMetadataContext()) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    a.getMetadataContext().getFilterMetadataMap().forEach((k, v) -> m.put(k, struct(v)));
    return Collections.unmodifiableMap(m);
  }

  static String ip(Address a) {
    return a.hasSocketAddress() ? a.getSocketAddress().getAddress() : null;
  }

  static long port(Address a) {
    return a.hasSocketAddress() ? a.getSocketAddress().getPortValue() : 0;
  }

  private static Map<String, Object> struct(Struct s) {
    Map<String, Object> m = new LinkedHashMap<>();
    s.getFieldsMap().forEach((k, v) -> m.put(k, value(v)));
    return Collections.unmodifiableMap(m);
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
    return Collections.unmodifiableList(out);
  }
}
