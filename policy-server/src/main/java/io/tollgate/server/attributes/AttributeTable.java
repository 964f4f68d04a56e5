package io.tollgate.server.attributes;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code AttributeTable} is the one mapping from what a transport knows ({@link RequestView}) to
 * Tollgate's attributes: one row per attribute of the {@link Vocabulary}, each deriving its value
 * from the view. The gRPC check, the HTTP check (Envoy's HTTP service and nginx) and the access log
 * all build their attributes through {@link #attributes}, so the same request gives the same
 * attributes whichever way it came.
 *
 * <p>Rows are derived when first read and then kept ({@link #attributes}); an empty string, an
 * empty map and {@code null} all leave the attribute out, so rules read it as the zero value.
 */
public enum AttributeTable {
  SOURCE_PRINCIPAL(Vocabulary.SOURCE_PRINCIPAL, RequestView::sourcePrincipal),
  SOURCE_IP(Vocabulary.SOURCE_IP, RequestView::sourceIp),
  SOURCE_PORT(Vocabulary.SOURCE_PORT, v -> port(v.sourcePort())),
  SOURCE_NAMESPACE(Vocabulary.SOURCE_NAMESPACE, v -> namespace(v.sourcePrincipal())),
  SOURCE_LABELS(Vocabulary.SOURCE_LABELS, RequestView::sourceLabels),
  /**
   * The configured destination ({@code context_extensions["destination.service.host"]}) when the
   * proxy sends one, even empty: then the Host header plays no part. Else the Host without its
   * port.
   */
  DESTINATION_SERVICE_HOST(Vocabulary.DESTINATION_SERVICE_HOST, AttributeTable::serviceHost),
  DESTINATION_SERVICE_NAMESPACE(
      Vocabulary.DESTINATION_SERVICE_NAMESPACE,
      v -> v.contextExtensions().get(Vocabulary.DESTINATION_SERVICE_NAMESPACE)),
  DESTINATION_IP(Vocabulary.DESTINATION_IP, RequestView::destinationIp),
  DESTINATION_PORT(Vocabulary.DESTINATION_PORT, v -> port(v.destinationPort())),
  DESTINATION_PRINCIPAL(Vocabulary.DESTINATION_PRINCIPAL, RequestView::destinationPrincipal),
  REQUEST_ID(Vocabulary.REQUEST_ID, RequestView::requestId),
  REQUEST_METHOD(Vocabulary.REQUEST_METHOD, RequestView::method),
  REQUEST_PATH(Vocabulary.REQUEST_PATH, RequestView::path),
  /** Normalized ({@link PathNormalizer}); absent when the path cannot be ({@link PathGuard}). */
  REQUEST_URL_PATH(Vocabulary.REQUEST_URL_PATH, v -> PathNormalizer.normalize(v.path())),
  REQUEST_URL_PATH_RAW(Vocabulary.REQUEST_URL_PATH_RAW, v -> PathNormalizer.raw(v.path())),
  REQUEST_HOST(Vocabulary.REQUEST_HOST, RequestView::host),
  REQUEST_SCHEME(Vocabulary.REQUEST_SCHEME, RequestView::scheme),
  REQUEST_HEADERS(Vocabulary.REQUEST_HEADERS, RequestView::headers),
  REQUEST_QUERY_PARAMS(Vocabulary.REQUEST_QUERY_PARAMS, v -> queryParams(v.path())),
  REQUEST_TIME(Vocabulary.REQUEST_TIME, RequestView::time),
  REQUEST_SIZE(Vocabulary.REQUEST_SIZE, RequestView::requestSize),
  REQUEST_BODY(Vocabulary.REQUEST_BODY, RequestView::body),
  /** Reserved for JWT authentication: no transport sets it yet. */
  REQUEST_AUTH_CLAIMS(Vocabulary.REQUEST_AUTH_CLAIMS, v -> null),
  CONNECTION_MTLS(Vocabulary.CONNECTION_MTLS, RequestView::mtls),
  CONNECTION_SNI(Vocabulary.CONNECTION_SNI, RequestView::sni),
  CONTEXT_PROTOCOL(Vocabulary.CONTEXT_PROTOCOL, RequestView::protocol),
  CONTEXT_EXTENSIONS(Vocabulary.CONTEXT_EXTENSIONS, RequestView::contextExtensions),
  CONTEXT_METADATA(Vocabulary.CONTEXT_METADATA, RequestView::metadata),
  RESPONSE_CODE(Vocabulary.RESPONSE_CODE, RequestView::responseCode),
  RESPONSE_DURATION(Vocabulary.RESPONSE_DURATION, RequestView::responseDuration),
  RESPONSE_SIZE(Vocabulary.RESPONSE_SIZE, RequestView::responseSize),
  RESPONSE_HEADERS(Vocabulary.RESPONSE_HEADERS, RequestView::responseHeaders);

  /** How a row derives its value from a view. */
  @FunctionalInterface
  private interface Derivation {
    Object from(RequestView v);
  }

  private static final AttributeTable[] ROWS = values();
  private static final Map<String, AttributeTable> BY_NAME = new HashMap<>();

  static {
    for (AttributeTable row : ROWS) {
      BY_NAME.put(row.attribute, row);
    }
  }

  private final String attribute;
  private final Derivation derivation;

  AttributeTable(String attribute, Derivation derivation) {
    this.attribute = attribute;
    this.derivation = derivation;
  }

  /** The attributes of the request {@code view} describes; rows are derived when first read. */
  public static Attributes attributes(RequestView view) {
    return new TableAttributes(view);
  }

  /** The row of attribute {@code name}, or {@code null} when the vocabulary has no such name. */
  public static AttributeTable of(String name) {
    return BY_NAME.get(name);
  }

  /** Every row, in vocabulary order. Do not modify the array. */
  static AttributeTable[] rows() {
    return ROWS;
  }

  /** The attribute's name in the vocabulary. */
  public String attribute() {
    return attribute;
  }

  /**
   * This row's value for {@code view}, or {@code null} when it is absent: an empty string or map
   * counts as absent.
   */
  public Object derive(RequestView view) {
    Object v = derivation.from(view);
    if (v instanceof String s && s.isEmpty() || v instanceof Map<?, ?> m && m.isEmpty()) {
      return null;
    }
    return v;
  }

  private static Long port(long port) {
    return port == 0 ? null : port;
  }

  private static String namespace(String principal) {
    return principal == null ? null : AttributeValues.spiffeNamespace(principal);
  }

  private static Map<String, String> queryParams(String path) {
    int q = path == null ? -1 : path.indexOf('?');
    return q < 0 ? null : AttributeValues.query(path.substring(q + 1));
  }

  private static String serviceHost(RequestView v) {
    String configured = v.contextExtensions().get(Vocabulary.DESTINATION_SERVICE_HOST);
    if (configured != null) {
      return configured;
    }
    String host = v.host();
    return host == null ? null : AttributeValues.hostWithoutPort(host);
  }
}
