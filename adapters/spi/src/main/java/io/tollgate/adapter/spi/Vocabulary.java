package io.tollgate.adapter.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code Vocabulary} lists every attribute a rule may name, with its type. Rules are type-checked
 * against it when they load, so a misspelt attribute is a load error, not a request-time surprise.
 *
 * <p>Names follow Istio Mixer's attribute vocabulary. Map-valued attributes are read with index
 * syntax in expressions: {@code request.headers["x-user"]}; header names are lower case.
 */
public final class Vocabulary {
  public static final String SOURCE_PRINCIPAL = "source.principal";
  public static final String SOURCE_IP = "source.ip";
  public static final String SOURCE_PORT = "source.port";
  public static final String SOURCE_NAMESPACE = "source.namespace";
  public static final String SOURCE_LABELS = "source.labels";
  public static final String DESTINATION_SERVICE_HOST = "destination.service.host";
  public static final String DESTINATION_SERVICE_NAMESPACE = "destination.service.namespace";
  public static final String DESTINATION_IP = "destination.ip";
  public static final String DESTINATION_PORT = "destination.port";
  public static final String DESTINATION_PRINCIPAL = "destination.principal";
  public static final String REQUEST_ID = "request.id";
  public static final String REQUEST_METHOD = "request.method";

  /** The path with its query, exactly as sent. */
  public static final String REQUEST_PATH = "request.path";

  /**
   * The path without its query, normalized as Envoy and Istio's authorization policies see it (RFC
   * 3986 dot segments and unreserved escapes, merged slashes, {@code %2F}/{@code %5C}/{@code \} as
   * {@code /}): what rules on paths should match. The policy server refuses a request whose path
   * cannot be normalized.
   */
  public static final String REQUEST_URL_PATH = "request.url_path";

  /** The path without its query, exactly as sent: for logging and special cases, not for access. */
  public static final String REQUEST_URL_PATH_RAW = "request.url_path_raw";

  public static final String REQUEST_HOST = "request.host";
  public static final String REQUEST_SCHEME = "request.scheme";
  public static final String REQUEST_HEADERS = "request.headers";
  public static final String REQUEST_QUERY_PARAMS = "request.query_params";
  public static final String REQUEST_TIME = "request.time";
  public static final String REQUEST_SIZE = "request.size";
  public static final String REQUEST_BODY = "request.body";
  public static final String REQUEST_AUTH_CLAIMS = "request.auth.claims";
  public static final String CONNECTION_MTLS = "connection.mtls";
  public static final String CONNECTION_SNI = "connection.requested_server_name";
  public static final String CONTEXT_PROTOCOL = "context.protocol";
  public static final String CONTEXT_EXTENSIONS = "context.extensions";
  public static final String CONTEXT_METADATA = "context.metadata";
  public static final String RESPONSE_CODE = "response.code";
  public static final String RESPONSE_DURATION = "response.duration";
  public static final String RESPONSE_SIZE = "response.size";
  public static final String RESPONSE_HEADERS = "response.headers";

  private static final Map<String, AttributeType> TYPES;

  static {
    Map<String, AttributeType> m = new LinkedHashMap<>();
    m.put(SOURCE_PRINCIPAL, AttributeType.STRING);
    m.put(SOURCE_IP, AttributeType.STRING);
    m.put(SOURCE_PORT, AttributeType.INT);
    m.put(SOURCE_NAMESPACE, AttributeType.STRING);
    m.put(SOURCE_LABELS, AttributeType.STRING_MAP);
    m.put(DESTINATION_SERVICE_HOST, AttributeType.STRING);
    m.put(DESTINATION_SERVICE_NAMESPACE, AttributeType.STRING);
    m.put(DESTINATION_IP, AttributeType.STRING);
    m.put(DESTINATION_PORT, AttributeType.INT);
    m.put(DESTINATION_PRINCIPAL, AttributeType.STRING);
    m.put(REQUEST_ID, AttributeType.STRING);
    m.put(REQUEST_METHOD, AttributeType.STRING);
    m.put(REQUEST_PATH, AttributeType.STRING);
    m.put(REQUEST_URL_PATH, AttributeType.STRING);
    m.put(REQUEST_URL_PATH_RAW, AttributeType.STRING);
    m.put(REQUEST_HOST, AttributeType.STRING);
    m.put(REQUEST_SCHEME, AttributeType.STRING);
    m.put(REQUEST_HEADERS, AttributeType.STRING_MAP);
    m.put(REQUEST_QUERY_PARAMS, AttributeType.STRING_MAP);
    m.put(REQUEST_TIME, AttributeType.TIMESTAMP);
    m.put(REQUEST_SIZE, AttributeType.INT);
    m.put(REQUEST_BODY, AttributeType.STRING);
    m.put(REQUEST_AUTH_CLAIMS, AttributeType.DYN_MAP);
    m.put(CONNECTION_MTLS, AttributeType.BOOL);
    m.put(CONNECTION_SNI, AttributeType.STRING);
    m.put(CONTEXT_PROTOCOL, AttributeType.STRING);
    m.put(CONTEXT_EXTENSIONS, AttributeType.STRING_MAP);
    m.put(CONTEXT_METADATA, AttributeType.DYN_MAP);
    m.put(RESPONSE_CODE, AttributeType.INT);
    m.put(RESPONSE_DURATION, AttributeType.DURATION);
    m.put(RESPONSE_SIZE, AttributeType.INT);
    m.put(RESPONSE_HEADERS, AttributeType.STRING_MAP);
    TYPES = Collections.unmodifiableMap(m);
  }

  private Vocabulary() {}

  /** Every attribute name with its type, in documentation order. */
  public static Map<String, AttributeType> types() {
    return TYPES;
  }

  /** The type of {@code name}, or {@code null} if no such attribute exists. */
  public static AttributeType typeOf(String name) {
    return TYPES.get(name);
  }
}
