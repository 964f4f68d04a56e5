package io.tollgate.server.warmup;

import com.google.protobuf.Timestamp;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.rules.snapshot.PolicySnapshot;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code WarmUpRequests} are the requests a warm-up sends: a few plain ones (reads and writes, with
 * and without a caller identity, with a query) and, for every rule, requests that get past the
 * simple conditions of its {@code match} ({@link PolicySnapshot#ruleExamples()}), so that the
 * rules' handlers, denials and header operations run too. Each is written as string attributes and
 * turned into what a proxy would send: an ext_authz {@code CheckRequest}, or the headers of an
 * nginx {@code auth_request}.
 */
final class WarmUpRequests {
  /** The caller's address: from TEST-NET-1, which no real caller has. */
  static final String SOURCE_IP = "192.0.2.1";

  private WarmUpRequests() {}

  /** The requests for {@code snapshot}, as attributes. */
  static List<Map<String, String>> of(PolicySnapshot snapshot) {
    List<Map<String, String>> out = new ArrayList<>();
    out.add(Map.of());
    out.add(
        Map.of(
            Vocabulary.REQUEST_METHOD,
            "POST",
            Vocabulary.REQUEST_PATH,
            "/warm-up?page=1&sort=name"));
    out.add(
        Map.of(
            Vocabulary.SOURCE_PRINCIPAL,
            "spiffe://tollgate.internal/ns/warm-up/sa/warm-up",
            Vocabulary.REQUEST_METHOD,
            "PUT"));
    out.add(Map.of(Vocabulary.REQUEST_METHOD, "DELETE", Vocabulary.REQUEST_PATH, "/warm-up/../x"));
    out.addAll(snapshot.ruleExamples());
    return out;
  }

  /**
   * The ext_authz request a sidecar would send for {@code a}. With {@code fromConfig} the
   * destination comes as the context extensions pilot-lite configures, else only in the Host
   * header.
   */
  static CheckRequest check(Map<String, String> a, boolean fromConfig, int round) {
    String service =
        a.getOrDefault(Vocabulary.DESTINATION_SERVICE_HOST, "warm-up.tollgate.internal");
    String host = a.getOrDefault(Vocabulary.REQUEST_HOST, service + ":8080");
    String principal = a.getOrDefault(Vocabulary.SOURCE_PRINCIPAL, "");
    if (principal.isEmpty() && a.containsKey(Vocabulary.SOURCE_NAMESPACE)) {
      principal =
          "spiffe://tollgate.internal/ns/" + a.get(Vocabulary.SOURCE_NAMESPACE) + "/sa/warm-up";
    }
    Instant now = Instant.now();
    AttributeContext.HttpRequest.Builder http =
        AttributeContext.HttpRequest.newBuilder()
            .setId(a.getOrDefault(Vocabulary.REQUEST_ID, "warm-up-" + round))
            .setMethod(a.getOrDefault(Vocabulary.REQUEST_METHOD, "GET"))
            .setPath(path(a))
            .setHost(host)
            .setScheme(a.getOrDefault(Vocabulary.REQUEST_SCHEME, "http"))
            .setProtocol(a.getOrDefault(Vocabulary.CONTEXT_PROTOCOL, "HTTP/1.1"))
            .setSize(0)
            .putHeaders(":authority", host)
            .putHeaders("user-agent", "tollgate-warm-up")
            .putHeaders("accept", "*/*");
    AttributeContext.Builder ctx =
        AttributeContext.newBuilder()
            .setSource(
                AttributeContext.Peer.newBuilder()
                    .setAddress(
                        address(
                            a.getOrDefault(Vocabulary.SOURCE_IP, SOURCE_IP), 40000 + round % 20000))
                    .setPrincipal(principal))
            .setDestination(
                AttributeContext.Peer.newBuilder()
                    .setAddress(
                        address(a.getOrDefault(Vocabulary.DESTINATION_IP, "127.0.0.1"), 8080))
                    .setPrincipal(a.getOrDefault(Vocabulary.DESTINATION_PRINCIPAL, "")))
            .setRequest(
                AttributeContext.Request.newBuilder()
                    .setTime(
                        Timestamp.newBuilder()
                            .setSeconds(now.getEpochSecond())
                            .setNanos(now.getNano()))
                    .setHttp(http));
    if (fromConfig) {
      ctx.putContextExtensions(Vocabulary.DESTINATION_SERVICE_HOST, service);
      ctx.putContextExtensions(
          Vocabulary.DESTINATION_SERVICE_NAMESPACE,
          a.getOrDefault(Vocabulary.DESTINATION_SERVICE_NAMESPACE, "warm-up"));
    }
    if (a.containsKey(Vocabulary.CONNECTION_SNI)) {
      ctx.setTlsSession(
          AttributeContext.TLSSession.newBuilder().setSni(a.get(Vocabulary.CONNECTION_SNI)));
    }
    return CheckRequest.newBuilder().setAttributes(ctx).build();
  }

  /** The headers nginx's {@code auth_request} would send to the nginx endpoint for {@code a}. */
  static Map<String, String> nginxHeaders(Map<String, String> a) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("X-Original-Method", a.getOrDefault(Vocabulary.REQUEST_METHOD, "GET"));
    h.put("X-Original-URI", path(a));
    h.put("X-Original-Remote-Addr", a.getOrDefault(Vocabulary.SOURCE_IP, SOURCE_IP));
    h.put(
        "X-Original-Host",
        a.getOrDefault(
            Vocabulary.REQUEST_HOST,
            a.getOrDefault(Vocabulary.DESTINATION_SERVICE_HOST, "warm-up.tollgate.internal")));
    h.put("X-Original-Protocol", a.getOrDefault(Vocabulary.CONTEXT_PROTOCOL, "HTTP/1.1"));
    h.put("X-Forwarded-Proto", a.getOrDefault(Vocabulary.REQUEST_SCHEME, "http"));
    h.put("X-Request-Id", "warm-up");
    return h;
  }

  /**
   * The request path of {@code a}: its path, else its URL path, else {@code /}; always starting
   * with {@code /}.
   */
  static String path(Map<String, String> a) {
    String p =
        a.getOrDefault(Vocabulary.REQUEST_PATH, a.getOrDefault(Vocabulary.REQUEST_URL_PATH, "/"));
    return p.startsWith("/") ? p : "/" + p;
  }

  private static Address address(String ip, int port) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
        .build();
  }
}
