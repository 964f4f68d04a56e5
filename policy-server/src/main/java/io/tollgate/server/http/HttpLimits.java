package io.tollgate.server.http;

import java.time.Duration;

/**
 * {@code HttpLimits} bound what one {@link HttpEndpoint} port lets a client cost. A request over a
 * size limit is answered (414, 431 or 413) and its connection closed instead of being read on; a
 * connection that is too slow or idle too long is closed; connections beyond the limit are refused.
 * Each of those is counted in {@link HttpEndpointMetrics}.
 *
 * @param maxInitialLine the longest request line (method, target, version), in bytes; longer: 414
 * @param maxHeaderSize the most bytes of header lines; more: 431
 * @param maxBody the largest body, in bytes; larger: 413. Bodies are read and discarded, never
 *     kept, so this bounds time spent reading, not memory
 * @param requestTimeout how long a request may take to arrive in full, from its first byte (or from
 *     the connection's opening, for its first request); slower: 408 and the connection closed
 * @param idleTimeout how long a kept-alive connection may wait for its next request
 * @param maxConnections open connections at most; more are closed as soon as they are accepted
 * @param threads the pool that runs the port's handler; never the Netty event loop, never the gRPC
 *     workers
 */
public record HttpLimits(
    int maxInitialLine,
    int maxHeaderSize,
    int maxBody,
    Duration requestTimeout,
    Duration idleTimeout,
    int maxConnections,
    int threads) {

  /**
   * The request line and header limits of the check port: above Envoy's default of 60 KiB of
   * request headers ({@code max_request_headers_kb}), which the HTTP ext_authz service forwards.
   */
  public static final int CHECK_HEADER_BYTES = 64 * 1024;

  public HttpLimits {
    positive("max initial line", maxInitialLine);
    positive("max header size", maxHeaderSize);
    if (maxBody < 0) {
      throw new IllegalArgumentException("max body size must not be negative, not " + maxBody);
    }
    duration("request timeout", requestTimeout);
    duration("idle timeout", idleTimeout);
    positive("max connections", maxConnections);
    positive("threads", threads);
  }

  /**
   * The HTTP check port's defaults: headers as large as Envoy forwards, a 1 MiB body (Envoy's
   * {@code with_request_body} buffers less by default), 10 s for a request to arrive, 60 s idle,
   * 4096 connections (a fleet of proxies, each with a pool), and {@code threads} deciding.
   */
  public static HttpLimits checkDefaults(int threads) {
    return new HttpLimits(
        CHECK_HEADER_BYTES,
        CHECK_HEADER_BYTES,
        1024 * 1024,
        Duration.ofSeconds(10),
        Duration.ofSeconds(60),
        4096,
        threads);
  }

  /**
   * The admin ports' defaults: small requests (probes, scrapes, {@code POST /reload} without a
   * body), 512 connections, and two threads for the routes that may take time ({@code /metrics},
   * {@code /reload}); {@code /healthz} and {@code /readyz} have a thread of their own (see {@code
   * AdminServer}).
   */
  public static HttpLimits adminDefaults() {
    return new HttpLimits(
        8 * 1024, 16 * 1024, 64 * 1024, Duration.ofSeconds(10), Duration.ofSeconds(60), 512, 2);
  }

  public HttpLimits withMaxConnections(int n) {
    return new HttpLimits(
        maxInitialLine, maxHeaderSize, maxBody, requestTimeout, idleTimeout, n, threads);
  }

  public HttpLimits withTimeouts(Duration request, Duration idle) {
    return new HttpLimits(
        maxInitialLine, maxHeaderSize, maxBody, request, idle, maxConnections, threads);
  }

  public HttpLimits withSizes(int initialLine, int headers, int body) {
    return new HttpLimits(
        initialLine, headers, body, requestTimeout, idleTimeout, maxConnections, threads);
  }

  public HttpLimits withThreads(int n) {
    return new HttpLimits(
        maxInitialLine, maxHeaderSize, maxBody, requestTimeout, idleTimeout, maxConnections, n);
  }

  private static void positive(String what, int n) {
    if (n < 1) {
      throw new IllegalArgumentException(what + " must be at least 1, not " + n);
    }
  }

  private static void duration(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, not " + d);
    }
  }
}
