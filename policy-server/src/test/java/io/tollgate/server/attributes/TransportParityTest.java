package io.tollgate.server.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties.CertificateProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties.CertificateProperties.SubjectAltName;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.server.envoy.AccessLogMapper;
import io.tollgate.server.envoy.AttributeMapper;
import io.tollgate.server.http.HttpRequestView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same request, described by each transport (Envoy's ext_authz {@code CheckRequest}, Envoy's
 * HTTP service, nginx's {@code auth_request}, an Envoy access-log entry), gives the same
 * attributes: hosts with and without ports, IPv6 included, empty values, plaintext and mTLS callers
 * with each kind of certificate identity.
 */
class TransportParityTest {
  /** What every transport knows. */
  private static final List<String> SHARED =
      List.of(
          Vocabulary.REQUEST_METHOD,
          Vocabulary.REQUEST_PATH,
          Vocabulary.REQUEST_URL_PATH,
          Vocabulary.REQUEST_URL_PATH_RAW,
          Vocabulary.REQUEST_QUERY_PARAMS,
          Vocabulary.REQUEST_HOST,
          Vocabulary.DESTINATION_SERVICE_HOST,
          Vocabulary.REQUEST_SCHEME,
          Vocabulary.REQUEST_ID,
          Vocabulary.CONTEXT_PROTOCOL,
          Vocabulary.SOURCE_IP);

  /** What Envoy reports both in a check and in its access log. */
  private static final List<String> ENVOY =
      List.of(
          Vocabulary.SOURCE_PORT,
          Vocabulary.SOURCE_PRINCIPAL,
          Vocabulary.SOURCE_NAMESPACE,
          Vocabulary.DESTINATION_IP,
          Vocabulary.DESTINATION_PORT,
          Vocabulary.CONNECTION_MTLS,
          Vocabulary.REQUEST_SIZE);

  /** A caller's certificate: its URI SAN, DNS SAN and subject, each possibly empty. */
  record Cert(String uri, String dns, String subject) {
    static final Cert NONE = new Cert("", "", "");

    boolean presented() {
      return !uri.isEmpty() || !dns.isEmpty() || !subject.isEmpty();
    }

    /** What Envoy puts in {@code AttributeContext.Peer.principal}. */
    String envoyPrincipal() {
      return !uri.isEmpty() ? uri : !dns.isEmpty() ? dns : subject;
    }
  }

  /** One request, as the caller made it. */
  record Req(
      String method,
      String host,
      String path,
      String scheme,
      String protocol,
      String requestId,
      long bodyBytes,
      Cert cert) {
    String sourceIp() {
      return host.startsWith("[") ? "2001:db8::1" : "10.1.2.3";
    }

    Attributes grpc() {
      AttributeContext.HttpRequest.Builder http =
          AttributeContext.HttpRequest.newBuilder()
              .setId(requestId)
              .setMethod(method)
              .setPath(path)
              .setHost(host)
              .setScheme(scheme)
              .setProtocol(protocol)
              .setSize(bodyBytes)
              .putHeaders(":authority", host)
              .putHeaders("x-user", "alice");
      if (!requestId.isEmpty()) {
        http.putHeaders("x-request-id", requestId);
      }
      AttributeContext.Peer.Builder source =
          AttributeContext.Peer.newBuilder()
              .setAddress(address(sourceIp(), 51000))
              .setPrincipal(cert.envoyPrincipal());
      return AttributeMapper.map(
          CheckRequest.newBuilder()
              .setAttributes(
                  AttributeContext.newBuilder()
                      .setSource(source)
                      .setDestination(
                          AttributeContext.Peer.newBuilder().setAddress(address("10.9.9.9", 9080)))
                      .setRequest(
                          AttributeContext.Request.newBuilder()
                              .setTime(Timestamp.newBuilder().setSeconds(1_700_000_000))
                              .setHttp(http)))
              .build());
    }

    Attributes accessLog() {
      AccessLogCommon.Builder common =
          AccessLogCommon.newBuilder()
              .setDownstreamRemoteAddress(address(sourceIp(), 51000))
              .setDownstreamLocalAddress(address("10.9.9.9", 9080))
              .setStartTime(Timestamp.newBuilder().setSeconds(1_700_000_000));
      if (scheme.equals("https")) {
        CertificateProperties.Builder peer = CertificateProperties.newBuilder();
        if (!cert.uri().isEmpty()) {
          peer.addSubjectAltName(SubjectAltName.newBuilder().setUri(cert.uri()));
        }
        if (!cert.dns().isEmpty()) {
          peer.addSubjectAltName(SubjectAltName.newBuilder().setDns(cert.dns()));
        }
        peer.setSubject(cert.subject());
        TLSProperties.Builder tls = TLSProperties.newBuilder();
        if (cert.presented()) {
          tls.setPeerCertificateProperties(peer);
        }
        common.setTlsProperties(tls);
      }
      HTTPRequestProperties.Builder request =
          HTTPRequestProperties.newBuilder()
              .setRequestMethod(RequestMethod.valueOf(method))
              .setScheme(scheme)
              .setAuthority(host)
              .setPath(path)
              .setRequestId(requestId)
              .setRequestHeadersBytes(321)
              .setRequestBodyBytes(bodyBytes)
              .putRequestHeaders("x-user", "alice");
      return AccessLogMapper.map(
          HTTPAccessLogEntry.newBuilder()
              .setCommonProperties(common)
              .setProtocolVersion(
                  protocol.equals("HTTP/2")
                      ? HTTPAccessLogEntry.HTTPVersion.HTTP2
                      : HTTPAccessLogEntry.HTTPVersion.HTTP11)
              .setRequest(request)
              .build());
    }

    Attributes envoyHttp() {
      Map<String, String> h = new HashMap<>();
      put(h, "host", host);
      put(h, "x-forwarded-proto", scheme);
      put(h, "x-request-id", requestId);
      h.put("x-user", "alice");
      return AttributeTable.attributes(
          HttpRequestView.envoy(method, path, h, sourceIp(), protocol, false));
    }

    Attributes nginx() {
      // As the test config's proxy_set_header lines send them; the Host is nginx's own.
      Map<String, String> h = new HashMap<>();
      h.put("host", "127.0.0.1:9092");
      h.put("x-original-method", method);
      h.put("x-original-uri", path);
      h.put("x-original-remote-addr", sourceIp());
      put(h, "x-original-host", host);
      h.put("x-original-protocol", protocol.equals("HTTP/2") ? "HTTP/2.0" : protocol);
      h.put("x-forwarded-proto", scheme);
      put(h, "x-request-id", requestId);
      h.put("x-user", "alice");
      return AttributeTable.attributes(HttpRequestView.nginx(h, "127.0.0.1"));
    }
  }

  private static void put(Map<String, String> h, String name, String value) {
    if (!value.isEmpty()) { // nginx and Envoy send no header for an empty value
      h.put(name, value);
    }
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }

  static Stream<Arguments> requests() {
    List<String> hosts =
        List.of(
            "ratings.shop",
            "ratings.shop:9080",
            "RATINGS.shop:9080",
            "[::1]",
            "[::1]:9080",
            "[2001:db8::7]:443",
            "10.0.0.7:80",
            "");
    List<Cert> certs =
        List.of(
            Cert.NONE,
            new Cert("spiffe://cluster.local/ns/shop/sa/cart", "cart.shop", "CN=cart"),
            new Cert("", "cart.shop.svc", "CN=cart"),
            new Cert("", "", "CN=cart,O=shop"));
    List<Arguments> out = new ArrayList<>();
    for (String host : hosts) {
      for (Cert cert : certs) {
        boolean tls = cert.presented();
        out.add(
            Arguments.of(
                new Req(
                    tls ? "POST" : "GET",
                    host,
                    tls ? "/ratings/7?stars=5&by=a%20b" : "/ratings",
                    tls ? "https" : "http",
                    tls ? "HTTP/2" : "HTTP/1.1",
                    tls ? "" : "req-1",
                    tls ? 12 : 0,
                    cert)));
      }
    }
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("requests")
  void everyTransportGivesTheSameAttributes(Req r) {
    Attributes grpc = r.grpc();
    Map<String, Attributes> others = new LinkedHashMap<>();
    others.put("access log", r.accessLog());
    others.put("Envoy HTTP", r.envoyHttp());
    others.put("nginx", r.nginx());
    others.forEach(
        (name, a) -> {
          for (String attribute : SHARED) {
            assertThat(a.get(attribute)).as(name + " " + attribute).isEqualTo(grpc.get(attribute));
          }
          assertThat(a.header("X-User")).as(name).isEqualTo("alice");
          for (String attribute : a.names()) {
            assertThat(a.get(attribute))
                .as(name + " leaves out empty " + attribute)
                .isNotEqualTo("");
          }
        });
    for (String attribute : ENVOY) {
      assertThat(others.get("access log").get(attribute))
          .as("access log " + attribute)
          .isEqualTo(grpc.get(attribute));
    }
    for (String name : List.of("Envoy HTTP", "nginx")) {
      assertThat(others.get(name).get(Vocabulary.CONNECTION_MTLS))
          .as(name + ": false on plaintext, unknown behind TLS")
          .isEqualTo(r.scheme().equals("http") ? false : null);
      assertThat(others.get(name).get(Vocabulary.SOURCE_PRINCIPAL)).isNull();
    }
  }

  @ParameterizedTest
  @MethodSource("requests")
  void hostsPrincipalsAndEmptyValuesAreDerivedAsDocumented(Req r) {
    Attributes a = r.grpc();
    String host = r.host();
    assertThat(a.get(Vocabulary.REQUEST_HOST)).isEqualTo(host.isEmpty() ? null : host);
    Object dest = a.get(Vocabulary.DESTINATION_SERVICE_HOST);
    if (host.isEmpty()) {
      assertThat(dest).isNull();
    } else if (host.startsWith("[")) {
      assertThat(dest).isEqualTo(host.substring(1, host.indexOf(']')));
    } else {
      assertThat(dest).isEqualTo(host.replaceFirst(":\\d+$", ""));
    }
    assertThat(a.get(Vocabulary.SOURCE_PRINCIPAL))
        .isEqualTo(r.cert().presented() ? r.cert().envoyPrincipal() : null);
    assertThat(a.get(Vocabulary.CONNECTION_MTLS)).isEqualTo(r.cert().presented());
    assertThat(a.get(Vocabulary.SOURCE_NAMESPACE))
        .isEqualTo(r.cert().uri().isEmpty() ? null : "shop");
    assertThat(a.get(Vocabulary.REQUEST_ID)).isEqualTo(r.requestId().isEmpty() ? null : "req-1");
    assertThat(a.get(Vocabulary.REQUEST_SIZE)).isEqualTo(r.bodyBytes());
  }

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource(
      delimiter = '|',
      nullValues = "null",
      value = {
        "/ratings | /ratings",
        "//admin/x | /admin/x",
        "/./admin/x?q=/../y | /admin/x",
        "/%61dmin/x | /admin/x",
        "/x/..%2F%2e%2e/admin%5cx | null",
        "/x/../admin%2fx | /admin/x",
        "/../admin | null",
        "/a%zz | null",
      })
  void everyTransportNormalizesThePathAlikeAndKeepsTheRawOne(String path, String normalized) {
    Req r = new Req("GET", "ratings.shop", path, "http", "HTTP/1.1", "req-1", 0, Cert.NONE);
    int q = path.indexOf('?');
    String raw = q < 0 ? path : path.substring(0, q);
    Map<String, Attributes> all = new LinkedHashMap<>();
    all.put("gRPC", r.grpc());
    all.put("access log", r.accessLog());
    all.put("Envoy HTTP", r.envoyHttp());
    all.put("nginx", r.nginx());
    all.forEach(
        (name, a) -> {
          assertThat(a.get(Vocabulary.REQUEST_URL_PATH)).as(name).isEqualTo(normalized);
          assertThat(a.get(Vocabulary.REQUEST_URL_PATH_RAW)).as(name).isEqualTo(raw);
          assertThat(a.get(Vocabulary.REQUEST_PATH)).as(name).isEqualTo(path);
          assertThat(PathGuard.unnormalizable(a)).as(name).isEqualTo(normalized == null);
        });
  }

  @Test
  void theAccessLogTellsPlaintextAndAPeerWithoutACertificateApart() {
    Req plain = new Req("GET", "a", "/", "http", "HTTP/1.1", "", 0, Cert.NONE);
    assertThat(plain.accessLog().get(Vocabulary.CONNECTION_MTLS)).isEqualTo(false);
    Req tlsNoCert = new Req("GET", "a", "/", "https", "HTTP/1.1", "", 0, Cert.NONE);
    assertThat(tlsNoCert.accessLog().get(Vocabulary.CONNECTION_MTLS)).isEqualTo(false);
    assertThat(tlsNoCert.accessLog().get(Vocabulary.SOURCE_PRINCIPAL)).isNull();
  }

  @Test
  void nginxWithoutTheOriginalHostHasNoHostRatherThanItsOwn() {
    Map<String, String> h = new HashMap<>();
    h.put("host", "127.0.0.1:9092");
    h.put("x-original-method", "GET");
    h.put("x-original-uri", "/");
    Attributes a = AttributeTable.attributes(HttpRequestView.nginx(h, "127.0.0.1"));
    assertThat(a.get(Vocabulary.REQUEST_HOST)).isNull();
    assertThat(a.get(Vocabulary.DESTINATION_SERVICE_HOST)).isNull();
    assertThat(a.headers()).doesNotContainKey("host");
    assertThat(a.get(Vocabulary.CONTEXT_PROTOCOL))
        .as("the subrequest's version says nothing about the client's")
        .isNull();
    assertThat(a.get(Vocabulary.SOURCE_IP)).isEqualTo("127.0.0.1");
  }

  @Test
  void onlyTheNginxEndpointReadsTheOriginalHeaders() {
    Map<String, String> h = new HashMap<>();
    h.put("host", "shop");
    h.put("x-original-host", "admin");
    h.put("x-original-protocol", "HTTP/2");
    h.put("x-original-remote-addr", "10.0.0.1");
    h.put("x-forwarded-for", "10.0.0.2");
    Attributes a =
        AttributeTable.attributes(
            HttpRequestView.envoy("GET", "/", h, "192.0.2.9", "HTTP/1.1", false));
    assertThat(a.get(Vocabulary.REQUEST_HOST)).isEqualTo("shop");
    assertThat(a.get(Vocabulary.CONTEXT_PROTOCOL)).isEqualTo("HTTP/1.1");
    assertThat(a.get(Vocabulary.SOURCE_IP)).isEqualTo("192.0.2.9");
  }
}
