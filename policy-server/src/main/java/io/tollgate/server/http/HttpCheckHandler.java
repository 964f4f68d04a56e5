package io.tollgate.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.rules.Decider;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.server.CheckListener;
import io.tollgate.server.DenialBody;
import io.tollgate.server.attributes.AttributeTable;
import io.tollgate.server.warmup.WarmUpCalls;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code HttpCheckHandler} decides requests described over HTTP, in two modes:
 *
 * <ul>
 *   <li><b>nginx</b> ({@code auth_request}), at {@value #NGINX_PATH}: the original method, URI,
 *       client address, host and HTTP version come from {@code X-Original-Method}, {@code
 *       X-Original-URI}, {@code X-Original-Remote-Addr}, {@code X-Original-Host} and {@code
 *       X-Original-Protocol}, which nginx sets with {@code proxy_set_header} (overwriting anything
 *       a client sent); they are read on this path only. This endpoint must only be reachable by
 *       the proxy.
 *   <li><b>Envoy HTTP service</b>, every other path: the request line and headers are the original
 *       request's (after an optional configured prefix, Envoy's {@code path_prefix}). The peer is
 *       Envoy, so {@code source.ip} is the first {@code X-Forwarded-For} entry only when {@code
 *       trustForwardedFor} is set.
 * </ul>
 *
 * <p>Either way the request is read as an {@link HttpRequestView} and its attributes come from
 * {@link AttributeTable}, as for the gRPC check.
 *
 * <p>Allowed: 200, with upstream header changes as response headers (copy them with Envoy's {@code
 * allowed_upstream_headers} or nginx's {@code auth_request_set}). Denied: the decided status with a
 * JSON body and {@code x-tollgate-*} headers. A request that cannot be read as a check (no {@code
 * X-Original-URI}, an {@code X-Original-Remote-Addr} that is not an IP address) gets 400 with what
 * is wrong; a failure inside the server gets 500 with an id only, the details go to the log ({@link
 * InternalErrors}).
 *
 * <p>Checks run on the executor given, the HTTP check port's own pool: never the Netty event loop
 * (a check may wait for a blocking handler) and never the gRPC workers (HTTP checks must not starve
 * gRPC ones).
 */
public final class HttpCheckHandler implements HttpHandler {
  /** The path nginx's auth_request subrequest is sent to. */
  public static final String NGINX_PATH = "/_tollgate/nginx";

  private static final Logger log = LoggerFactory.getLogger(HttpCheckHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "transfer-encoding",
          "te",
          "upgrade",
          "proxy-connection",
          "content-length");

  private final Decider decider;
  private final CheckListener listener;
  private final boolean revealRule;
  private final String pathPrefix;
  private final boolean trustForwardedFor;
  private final WarmUpCalls warmUpCalls;
  private final Executor executor;

  /**
   * @param warmUpCalls recognizes the server's own warm-up requests, which are decided by the
   *     version being warmed and not reported to {@code listener}; {@code null}: none are
   * @param executor where checks are decided
   */
  public HttpCheckHandler(
      Decider decider,
      CheckListener listener,
      boolean revealRule,
      String pathPrefix,
      boolean trustForwardedFor,
      WarmUpCalls warmUpCalls,
      Executor executor) {
    this.decider = decider;
    this.listener = listener;
    this.revealRule = revealRule;
    this.pathPrefix = pathPrefix == null ? "" : pathPrefix;
    this.trustForwardedFor = trustForwardedFor;
    this.warmUpCalls = warmUpCalls;
    this.executor = executor;
  }

  @Override
  public Executor executor(HttpCall call) {
    return executor;
  }

  @Override
  public HttpReply handle(HttpCall call) {
    long started = System.nanoTime();
    boolean warmUp = warmUpCalls != null && warmUpCalls.isWarmUp(call.header(WarmUpCalls.HEADER));
    Attributes attributes;
    try {
      attributes = attributes(call);
    } catch (IllegalArgumentException e) {
      if (!warmUp) {
        listener.failed("http");
      }
      return error(400, "bad check request: " + e.getMessage());
    }
    PolicyDecision d;
    try {
      d = warmUp ? decider.warmUpCheck(attributes) : decider.check(attributes);
    } catch (RuntimeException e) {
      if (!warmUp) {
        listener.failed("http");
      }
      return error(500, InternalErrors.log(log, "HTTP check", e));
    }
    if (!warmUp) {
      listener.decided("http", attributes, d, System.nanoTime() - started);
    }
    if (d.allowed()) {
      HttpReply ok = HttpReply.status(200);
      for (HeaderOp op : d.requestHeaders()) {
        apply(ok, op);
      }
      for (HeaderOp op : d.responseHeaders()) {
        apply(ok, op);
      }
      return ok;
    }
    HttpReply denied =
        d.body().isEmpty()
            ? HttpReply.json(
                d.httpStatus(), DenialBody.json(d, revealRule).getBytes(StandardCharsets.UTF_8))
            : HttpReply.status(d.httpStatus())
                .body(null, d.body().getBytes(StandardCharsets.UTF_8));
    for (HeaderOp op : DenialBody.headers(d, revealRule)) {
      apply(denied, op);
    }
    for (HeaderOp op : d.responseHeaders()) {
      apply(denied, op);
    }
    return denied;
  }

  private Attributes attributes(HttpCall call) {
    Map<String, String> headers = new HashMap<>();
    call.forEachHeader(
        (k, v) -> {
          String name = k.toLowerCase(Locale.ROOT);
          if (!HOP_BY_HOP.contains(name) && !name.equals(WarmUpCalls.HEADER)) {
            headers.merge(name, v, (a, b) -> a + "," + b);
          }
        });
    String rawPath = call.rawPath();
    String peer = address(call.peer());
    if (rawPath.equals(NGINX_PATH)) {
      return AttributeTable.attributes(HttpRequestView.nginx(headers, peer));
    }
    String path = rawPath;
    if (!pathPrefix.isEmpty()) {
      if (!path.startsWith(pathPrefix)) {
        throw new IllegalArgumentException(
            "path does not start with the configured prefix " + pathPrefix);
      }
      path = path.substring(pathPrefix.length());
      if (path.isEmpty()) {
        path = "/";
      }
    }
    String query = call.rawQuery();
    String uri = query == null ? path : path + "?" + query;
    return AttributeTable.attributes(
        HttpRequestView.envoy(
            call.method(), uri, headers, peer, call.protocol(), trustForwardedFor));
  }

  private static String address(InetSocketAddress a) {
    return a == null || a.getAddress() == null ? "" : a.getAddress().getHostAddress();
  }

  private static void apply(HttpReply r, HeaderOp op) {
    switch (op.op()) {
      case REPLACE -> r.set(op.name(), op.value());
      case APPEND -> r.add(op.name(), op.value());
      case REMOVE -> {} // a response cannot express removal; Envoy and nginx copy what is present
    }
  }

  /** {@code {"status":..,"message":..}}, as denials look. */
  private static HttpReply error(int status, String message) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", status);
    m.put("message", message);
    try {
      return HttpReply.json(status, JSON.writeValueAsBytes(m));
    } catch (JsonProcessingException e) {
      return HttpReply.json(
          status, ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8));
    }
  }
}
