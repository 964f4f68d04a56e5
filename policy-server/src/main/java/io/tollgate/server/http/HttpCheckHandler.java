package io.tollgate.server.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.rules.Decider;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.server.CheckListener;
import io.tollgate.server.DenialBody;
import io.tollgate.server.attributes.AttributeTable;
import io.tollgate.server.warmup.WarmUpCalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
 * JSON body and {@code x-tollgate-*} headers.
 */
public final class HttpCheckHandler implements HttpHandler {
  /** The path nginx's auth_request subrequest is sent to. */
  public static final String NGINX_PATH = "/_tollgate/nginx";

  private static final Logger log = LoggerFactory.getLogger(HttpCheckHandler.class);
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "transfer-encoding",
          "te",
          "upgrade",
          "proxy-connection",
          "content-length");
  private static final int MAX_BODY_DRAIN = 64 * 1024;

  private final Decider decider;
  private final CheckListener listener;
  private final boolean revealRule;
  private final String pathPrefix;
  private final boolean trustForwardedFor;
  private final WarmUpCalls warmUpCalls;

  public HttpCheckHandler(
      Decider decider,
      CheckListener listener,
      boolean revealRule,
      String pathPrefix,
      boolean trustForwardedFor) {
    this(decider, listener, revealRule, pathPrefix, trustForwardedFor, null);
  }

  /**
   * @param warmUpCalls recognizes the server's own warm-up requests, which are decided by the
   *     version being warmed and not reported to {@code listener}; {@code null}: none are
   */
  public HttpCheckHandler(
      Decider decider,
      CheckListener listener,
      boolean revealRule,
      String pathPrefix,
      boolean trustForwardedFor,
      WarmUpCalls warmUpCalls) {
    this.decider = decider;
    this.listener = listener;
    this.revealRule = revealRule;
    this.pathPrefix = pathPrefix == null ? "" : pathPrefix;
    this.trustForwardedFor = trustForwardedFor;
    this.warmUpCalls = warmUpCalls;
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    long started = System.nanoTime();
    try (ex) {
      drain(ex.getRequestBody());
      boolean warmUp =
          warmUpCalls != null
              && warmUpCalls.isWarmUp(ex.getRequestHeaders().getFirst(WarmUpCalls.HEADER));
      Attributes attributes;
      try {
        attributes = attributes(ex);
      } catch (IllegalArgumentException e) {
        if (!warmUp) {
          listener.failed("http");
        }
        send(
            ex,
            400,
            "{\"status\":400,\"message\":\"bad check request: "
                + e.getMessage().replace("\"", "'")
                + "\"}",
            Map.of());
        return;
      }
      PolicyDecision d;
      try {
        d = warmUp ? decider.warmUpCheck(attributes) : decider.check(attributes);
      } catch (RuntimeException e) {
        if (!warmUp) {
          listener.failed("http");
        }
        log.warn("check failed", e);
        send(ex, 500, "{\"status\":500,\"message\":\"tollgate could not decide\"}", Map.of());
        return;
      }
      if (!warmUp) {
        listener.decided("http", attributes, d, System.nanoTime() - started);
      }
      Headers h = ex.getResponseHeaders();
      if (d.allowed()) {
        for (HeaderOp op : d.requestHeaders()) {
          apply(h, op);
        }
        for (HeaderOp op : d.responseHeaders()) {
          apply(h, op);
        }
        ex.sendResponseHeaders(200, -1);
        return;
      }
      for (HeaderOp op : DenialBody.headers(d, revealRule)) {
        apply(h, op);
      }
      for (HeaderOp op : d.responseHeaders()) {
        apply(h, op);
      }
      if (d.body().isEmpty()) {
        send(ex, d.httpStatus(), DenialBody.json(d, revealRule), Map.of());
      } else {
        byte[] body = d.body().getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(d.httpStatus(), body.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  private Attributes attributes(HttpExchange ex) {
    Map<String, String> headers = new HashMap<>();
    ex.getRequestHeaders()
        .forEach(
            (k, vs) -> {
              String name = k.toLowerCase(Locale.ROOT);
              if (!HOP_BY_HOP.contains(name) && !name.equals(WarmUpCalls.HEADER)) {
                headers.put(name, String.join(",", vs));
              }
            });
    String rawPath = ex.getRequestURI().getRawPath();
    String peer = address(ex.getRemoteAddress());
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
    String query = ex.getRequestURI().getRawQuery();
    String uri = query == null ? path : path + "?" + query;
    return AttributeTable.attributes(
        HttpRequestView.envoy(
            ex.getRequestMethod(), uri, headers, peer, ex.getProtocol(), trustForwardedFor));
  }

  private static String address(InetSocketAddress a) {
    return a == null || a.getAddress() == null ? "" : a.getAddress().getHostAddress();
  }

  private static void apply(Headers h, HeaderOp op) {
    switch (op.op()) {
      case REPLACE -> h.set(op.name(), op.value());
      case APPEND -> h.add(op.name(), op.value());
      case REMOVE -> {} // a response cannot express removal; Envoy and nginx copy what is present
    }
  }

  private static void send(
      HttpExchange ex, int status, String body, Map<String, List<String>> extra)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("content-type", "application/json");
    extra.forEach((k, v) -> ex.getResponseHeaders().put(k, v));
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Reads and discards a bounded request body, so the connection can be reused. */
  private static void drain(InputStream in) throws IOException {
    byte[] buf = new byte[8192];
    int total = 0;
    int n;
    while (total < MAX_BODY_DRAIN && (n = in.read(buf)) > 0) {
      total += n;
    }
  }
}
