package io.tollgate.server.envoy;

import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.tollgate.server.attributes.AttributeValues;
import io.tollgate.server.attributes.LowerCaseHeaders;
import io.tollgate.server.attributes.RequestView;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code AccessLogView} is one entry of Envoy's gRPC access log as a {@link RequestView}:
 *
 * <pre>
 * source.address / destination.address  common_properties.downstream_remote / local_address
 * source / destination principal        the peer / local certificate: URI SAN, DNS SAN, subject
 * mtls                                  the peer presented a certificate; false without TLS
 * sni                                   tls_properties.tls_sni_hostname
 * time                                  common_properties.start_time
 * response duration                     time_to_last_downstream_tx_byte (else duration)
 * method / scheme / path / host / id    request.request_method / scheme / path / authority / request_id
 * headers                               request.request_headers, plus user-agent, referer, x-forwarded-for
 * request size                          request.request_body_bytes
 * protocol                              protocol_version (HTTP/1.0, HTTP/1.1, HTTP/2, HTTP/3)
 * response code / size / headers        response.response_code / response_body_bytes / response_headers
 * </pre>
 *
 * Header maps are cut at {@value #MAX_HEADERS} entries of at most {@value #MAX_HEADER_VALUE}
 * characters; absurd times and sizes are left out.
 */
final class AccessLogView implements RequestView {
  static final int MAX_HEADERS = 100;
  static final int MAX_HEADER_VALUE = 8192;

  /** 9999-12-31T23:59:59Z: later start times are absurd and left out. */
  private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

  private final AccessLogCommon c;
  private final HTTPRequestProperties r;
  private final HTTPResponseProperties p;
  private final HTTPAccessLogEntry.HTTPVersion version;

  AccessLogView(HTTPAccessLogEntry e) {
    this.c = e.getCommonProperties();
    this.r = e.getRequest();
    this.p = e.getResponse();
    this.version = e.getProtocolVersion();
  }

  @Override
  public String method() {
    RequestMethod m = r.getRequestMethod();
    return m == RequestMethod.METHOD_UNSPECIFIED || m == RequestMethod.UNRECOGNIZED
        ? null
        : m.name();
  }

  @Override
  public String path() {
    return r.getPath();
  }

  @Override
  public String host() {
    return r.getAuthority();
  }

  @Override
  public String scheme() {
    return r.getScheme();
  }

  @Override
  public String protocol() {
    return switch (version) {
      case HTTP10 -> "HTTP/1.0";
      case HTTP11 -> "HTTP/1.1";
      case HTTP2 -> "HTTP/2";
      case HTTP3 -> "HTTP/3";
      default -> null;
    };
  }

  @Override
  public String requestId() {
    return r.getRequestId();
  }

  @Override
  public Map<String, String> headers() {
    Map<String, String> headers = headers(r.getRequestHeadersMap());
    putIfRoom(headers, "user-agent", r.getUserAgent());
    putIfRoom(headers, "referer", r.getReferer());
    putIfRoom(headers, "x-forwarded-for", r.getForwardedFor());
    return LowerCaseHeaders.of(headers);
  }

  @Override
  public Long requestSize() {
    long n = r.getRequestBodyBytes(); // uint64: past Long.MAX_VALUE is absurd and left out
    return n < 0 ? null : n;
  }

  @Override
  public Instant time() {
    if (!c.hasStartTime()
        || c.getStartTime().getSeconds() < 0
        || c.getStartTime().getSeconds() > MAX_EPOCH_SECOND) {
      return null;
    }
    return Instant.ofEpochSecond(
        c.getStartTime().getSeconds(), clampNanos(c.getStartTime().getNanos()));
  }

  @Override
  public String sourceIp() {
    return CheckRequestView.ip(c.getDownstreamRemoteAddress());
  }

  @Override
  public long sourcePort() {
    return CheckRequestView.port(c.getDownstreamRemoteAddress());
  }

  @Override
  public String sourcePrincipal() {
    return c.hasTlsProperties()
        ? principal(c.getTlsProperties().getPeerCertificateProperties())
        : null;
  }

  @Override
  public String destinationIp() {
    return CheckRequestView.ip(c.getDownstreamLocalAddress());
  }

  @Override
  public long destinationPort() {
    return CheckRequestView.port(c.getDownstreamLocalAddress());
  }

  @Override
  public String destinationPrincipal() {
    return c.hasTlsProperties()
        ? principal(c.getTlsProperties().getLocalCertificateProperties())
        : null;
  }

  @Override
  public Boolean mtls() {
    if (!c.hasTlsProperties()) {
      return false;
    }
    TLSProperties tls = c.getTlsProperties();
    return tls.hasPeerCertificateProperties()
        && (tls.getPeerCertificateProperties().getSubjectAltNameCount() > 0
            || !tls.getPeerCertificateProperties().getSubject().isEmpty());
  }

  @Override
  public String sni() {
    return c.hasTlsProperties() ? c.getTlsProperties().getTlsSniHostname() : null;
  }

  @Override
  public Long responseCode() {
    return p.hasResponseCode() ? Integer.toUnsignedLong(p.getResponseCode().getValue()) : null;
  }

  @Override
  public Duration responseDuration() {
    com.google.protobuf.Duration d =
        c.hasTimeToLastDownstreamTxByte()
            ? c.getTimeToLastDownstreamTxByte()
            : c.hasDuration() ? c.getDuration() : null;
    return d == null || d.getSeconds() < 0
        ? null
        : Duration.ofSeconds(d.getSeconds(), clampNanos(d.getNanos()));
  }

  @Override
  public Long responseSize() {
    return p.getResponseBodyBytes() > 0 ? p.getResponseBodyBytes() : null;
  }

  @Override
  public Map<String, String> responseHeaders() {
    return LowerCaseHeaders.of(headers(p.getResponseHeadersMap()));
  }

  private static String principal(TLSProperties.CertificateProperties cert) {
    String uri = null;
    String dns = null;
    for (TLSProperties.CertificateProperties.SubjectAltName san : cert.getSubjectAltNameList()) {
      if (uri == null && san.hasUri() && !san.getUri().isEmpty()) {
        uri = san.getUri();
      } else if (dns == null && san.hasDns() && !san.getDns().isEmpty()) {
        dns = san.getDns();
      }
    }
    return AttributeValues.principal(uri, dns, cert.getSubject());
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
