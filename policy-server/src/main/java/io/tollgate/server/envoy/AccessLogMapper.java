package io.tollgate.server.envoy;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.MapAttributes;
import io.tollgate.adapter.spi.Vocabulary;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code AccessLogMapper} turns one entry of Envoy's gRPC access log into Tollgate's attributes,
 * for report rules. The table (the README repeats it):
 *
 * <pre>
 * source.ip / source.port          common_properties.downstream_remote_address
 * destination.ip / .port           common_properties.downstream_local_address
 * source.principal                 the peer certificate's URI SAN (tls_properties)
 * source.namespace                 the ns/&lt;namespace&gt; part of a SPIFFE source.principal
 * destination.principal            the local certificate's URI SAN
 * connection.mtls                  true when the peer presented a certificate
 * connection.requested_server_name tls_properties.tls_sni_hostname
 * request.time                     common_properties.start_time
 * response.duration                common_properties.time_to_last_downstream_tx_byte (else duration)
 * request.method / scheme / path   request.request_method / scheme / path
 * request.url_path, query_params   request.path without / with only its query
 * request.host, destination.service.host  request.authority (the latter without the port)
 * request.id                       request.request_id
 * request.headers                  request.request_headers, plus user-agent, referer, x-forwarded-for
 * request.size                     request.request_headers_bytes + request_body_bytes
 * response.code                    response.response_code
 * response.size                    response.response_body_bytes
 * response.headers                 response.response_headers
 * context.protocol                 "grpc" for application/grpc requests, else http
 * </pre>
 *
 * Anything absent stays absent; oversized header maps are cut at {@value #MAX_HEADERS} entries of
 * at most {@value #MAX_HEADER_VALUE} characters. Stateless and thread-safe.
 */
public final class AccessLogMapper {
  static final int MAX_HEADERS = 100;
  static final int MAX_HEADER_VALUE = 8192;

  /** 9999-12-31T23:59:59Z: later start times are absurd and left out. */
  private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

  private AccessLogMapper() {}

  /** Maps one entry. Never throws for odd input: what cannot be read is left out. */
  public static Attributes map(HTTPAccessLogEntry e) {
    MapAttributes.Builder b = MapAttributes.builder();
    AccessLogCommon c = e.getCommonProperties();
    AttributeMapper.address(
        b, c.getDownstreamRemoteAddress(), Vocabulary.SOURCE_IP, Vocabulary.SOURCE_PORT);
    AttributeMapper.address(
        b, c.getDownstreamLocalAddress(), Vocabulary.DESTINATION_IP, Vocabulary.DESTINATION_PORT);
    if (c.hasTlsProperties()) {
      TLSProperties tls = c.getTlsProperties();
      String peer = uri(tls.getPeerCertificateProperties());
      AttributeMapper.nonEmpty(b, Vocabulary.SOURCE_PRINCIPAL, peer);
      String ns = peer == null ? null : AttributeMapper.spiffeNamespace(peer);
      AttributeMapper.nonEmpty(b, Vocabulary.SOURCE_NAMESPACE, ns);
      AttributeMapper.nonEmpty(
          b, Vocabulary.DESTINATION_PRINCIPAL, uri(tls.getLocalCertificateProperties()));
      b.put(
          Vocabulary.CONNECTION_MTLS,
          tls.hasPeerCertificateProperties()
              && tls.getPeerCertificateProperties().getSubjectAltNameCount() > 0);
      AttributeMapper.nonEmpty(b, Vocabulary.CONNECTION_SNI, tls.getTlsSniHostname());
    }
    if (c.hasStartTime()
        && c.getStartTime().getSeconds() >= 0
        && c.getStartTime().getSeconds() <= MAX_EPOCH_SECOND) {
      b.put(
          Vocabulary.REQUEST_TIME,
          Instant.ofEpochSecond(
              c.getStartTime().getSeconds(), clampNanos(c.getStartTime().getNanos())));
    }
    Duration d =
        c.hasTimeToLastDownstreamTxByte()
            ? c.getTimeToLastDownstreamTxByte()
            : c.hasDuration() ? c.getDuration() : null;
    if (d != null && d.getSeconds() >= 0) {
      b.put(
          Vocabulary.RESPONSE_DURATION,
          java.time.Duration.ofSeconds(d.getSeconds(), clampNanos(d.getNanos())));
    }

    HTTPRequestProperties r = e.getRequest();
    if (r.getRequestMethod() != RequestMethod.METHOD_UNSPECIFIED
        && r.getRequestMethod() != RequestMethod.UNRECOGNIZED) {
      b.put(Vocabulary.REQUEST_METHOD, r.getRequestMethod().name());
    }
    AttributeMapper.nonEmpty(b, Vocabulary.REQUEST_SCHEME, r.getScheme());
    AttributeMapper.nonEmpty(b, Vocabulary.REQUEST_HOST, r.getAuthority());
    if (!r.getAuthority().isEmpty()) {
      b.put(Vocabulary.DESTINATION_SERVICE_HOST, AttributeMapper.hostWithoutPort(r.getAuthority()));
    }
    if (!r.getPath().isEmpty()) {
      String path = r.getPath();
      b.put(Vocabulary.REQUEST_PATH, path);
      int q = path.indexOf('?');
      b.put(Vocabulary.REQUEST_URL_PATH, q < 0 ? path : path.substring(0, q));
      if (q >= 0) {
        b.put(Vocabulary.REQUEST_QUERY_PARAMS, AttributeMapper.query(path.substring(q + 1)));
      }
    }
    AttributeMapper.nonEmpty(b, Vocabulary.REQUEST_ID, r.getRequestId());
    Map<String, String> headers = headers(r.getRequestHeadersMap());
    putIfRoom(headers, "user-agent", r.getUserAgent());
    putIfRoom(headers, "referer", r.getReferer());
    putIfRoom(headers, "x-forwarded-for", r.getForwardedFor());
    if (!headers.isEmpty()) {
      b.put(Vocabulary.REQUEST_HEADERS, headers);
    }
    long requestSize = r.getRequestHeadersBytes() + r.getRequestBodyBytes();
    if (requestSize > 0) { // both are uint64: a sum past Long.MAX_VALUE is absurd and left out
      b.put(Vocabulary.REQUEST_SIZE, requestSize);
    }
    b.put(
        Vocabulary.CONTEXT_PROTOCOL,
        headers.getOrDefault("content-type", "").startsWith("application/grpc") ? "grpc" : "http");

    HTTPResponseProperties p = e.getResponse();
    if (p.hasResponseCode()) {
      b.put(Vocabulary.RESPONSE_CODE, Integer.toUnsignedLong(p.getResponseCode().getValue()));
    }
    if (p.getResponseBodyBytes() > 0) {
      b.put(Vocabulary.RESPONSE_SIZE, p.getResponseBodyBytes());
    }
    Map<String, String> responseHeaders = headers(p.getResponseHeadersMap());
    if (!responseHeaders.isEmpty()) {
      b.put(Vocabulary.RESPONSE_HEADERS, responseHeaders);
    }
    return b.build();
  }

  private static String uri(TLSProperties.CertificateProperties cert) {
    for (TLSProperties.CertificateProperties.SubjectAltName san : cert.getSubjectAltNameList()) {
      if (san.hasUri() && !san.getUri().isEmpty()) {
        return san.getUri();
      }
    }
    return null;
  }

  private static Map<String, String> headers(Map<String, String> in) {
    Map<String, String> out = new HashMap<>();
    for (Map.Entry<String, String> h : in.entrySet()) {
      putIfRoom(out, h.getKey().toLowerCase(Locale.ROOT), h.getValue());
    }
    return out;
  }

  private static void putIfRoom(Map<String, String> headers, String name, String value) {
    if (value == null
        || value.isEmpty()
        || headers.size() >= MAX_HEADERS
        || headers.containsKey(name)) {
      return;
    }
    headers.put(
        name, value.length() > MAX_HEADER_VALUE ? value.substring(0, MAX_HEADER_VALUE) : value);
  }

  private static int clampNanos(int nanos) {
    return Math.max(0, Math.min(999_999_999, nanos));
  }
}
