package io.tollgate.server.http;

import io.netty.handler.codec.http.HttpRequest;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * {@code HttpCall} is one request an {@link HttpEndpoint} read in full, as its {@link HttpHandler}
 * sees it: the request line, the headers and the peer. Immutable once handed to the handler; reads
 * the decoded request without copying it.
 */
public final class HttpCall {
  private final HttpRequest request;
  private final InetSocketAddress peer;
  private final int pathEnd;
  private final int pathStart;

  HttpCall(HttpRequest request, InetSocketAddress peer) {
    this.request = request;
    this.peer = peer;
    String uri = request.uri();
    this.pathStart = pathStart(uri);
    int q = uri.indexOf('?', pathStart);
    int f = uri.indexOf('#', pathStart);
    int end = q < 0 ? uri.length() : q;
    this.pathEnd = f >= 0 && f < end ? f : end;
  }

  /** Where the path starts: 0, or after the authority of an absolute-form target. */
  private static int pathStart(String uri) {
    if (uri.startsWith("/")) {
      return 0;
    }
    int scheme = uri.indexOf("://");
    if (scheme < 0) {
      return 0;
    }
    int slash = uri.indexOf('/', scheme + 3);
    return slash < 0 ? uri.length() : slash;
  }

  /** The method, as sent ({@code GET}). */
  public String method() {
    return request.method().name();
  }

  /**
   * The path of the request target, not decoded: {@code /a%20b} for {@code GET /a%20b?x=1}; empty
   * for an absolute-form target without a path.
   */
  public String rawPath() {
    return request.uri().substring(pathStart, pathEnd);
  }

  /** The query, not decoded, without its {@code ?}; {@code null} when the target has none. */
  public String rawQuery() {
    String uri = request.uri();
    if (pathEnd >= uri.length() || uri.charAt(pathEnd) != '?') {
      return null;
    }
    int f = uri.indexOf('#', pathEnd);
    return uri.substring(pathEnd + 1, f < 0 ? uri.length() : f);
  }

  /** The first value of header {@code name} (any case), or {@code null}. */
  public String header(String name) {
    return request.headers().get(name);
  }

  /** Every value of header {@code name} (any case), in order; empty when it is absent. */
  public List<String> headerValues(String name) {
    return request.headers().getAll(name);
  }

  /**
   * Calls {@code each} with every header's name, as sent, and value, in order, repeats included.
   */
  public void forEachHeader(BiConsumer<String, String> each) {
    for (Map.Entry<String, String> h : request.headers()) {
      each.accept(h.getKey(), h.getValue());
    }
  }

  /** The HTTP version, as Envoy names it: {@code HTTP/1.1}, {@code HTTP/1.0}. */
  public String protocol() {
    return request.protocolVersion().text();
  }

  /** The peer's address; {@code null} when the transport has none. */
  public InetSocketAddress peer() {
    return peer;
  }
}
