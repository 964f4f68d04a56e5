package io.tollgate.server.attributes;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * {@code RequestView} is what one transport knows about one request, before any attribute is
 * derived from it: the raw facts, read cheaply from the transport's own message. {@link
 * AttributeTable} turns a view into attributes; derivations (a host without its port, a path
 * without its query, the namespace of a SPIFFE ID, the configured destination winning over the Host
 * header) live there, once, for every transport.
 *
 * <p>Every method may return {@code null} (or an empty string or map) for what the transport does
 * not know; the table leaves such attributes out. A view must be immutable and must not refer to
 * anything that changes after the request is answered (an HTTP exchange, a buffer): the attributes
 * it backs outlive the call.
 */
public interface RequestView {
  /** The HTTP method, as sent. */
  default String method() {
    return null;
  }

  /** The path with the query, as sent. */
  default String path() {
    return null;
  }

  /** The Host (or {@code :authority}) as sent, port and all. */
  default String host() {
    return null;
  }

  /** {@code http} or {@code https}, as the proxy saw it. */
  default String scheme() {
    return null;
  }

  /**
   * The HTTP version of the caller's request: {@code HTTP/1.0}, {@code HTTP/1.1}, {@code HTTP/2}.
   */
  default String protocol() {
    return null;
  }

  /** The request id. */
  default String requestId() {
    return null;
  }

  /**
   * The request headers, keyed by lower-case name, with case-insensitive lookups (see {@link
   * LowerCaseHeaders}). Read once per request as a rule.
   */
  default Map<String, String> headers() {
    return null;
  }

  /** The request body's size in bytes as the proxy reports it, {@code null} when not reported. */
  default Long requestSize() {
    return null;
  }

  /** The request body as text. */
  default String body() {
    return null;
  }

  /** When the request arrived. */
  default Instant time() {
    return null;
  }

  /** The caller's address. */
  default String sourceIp() {
    return null;
  }

  /** The caller's port, 0 when not known. */
  default long sourcePort() {
    return 0;
  }

  /**
   * The caller's identity from its verified certificate: the URI SAN, else the DNS SAN, else the
   * subject ({@link AttributeValues#principal}), the order Envoy uses for ext_authz.
   */
  default String sourcePrincipal() {
    return null;
  }

  /** The caller's labels (proxy metadata). */
  default Map<String, String> sourceLabels() {
    return null;
  }

  /** The address the request reached. */
  default String destinationIp() {
    return null;
  }

  /** The port the request reached, 0 when not known. */
  default long destinationPort() {
    return 0;
  }

  /** The identity of the local certificate, in the order of {@link #sourcePrincipal}. */
  default String destinationPrincipal() {
    return null;
  }

  /**
   * Whether the caller presented a verified certificate: {@code false} on a plaintext connection,
   * {@code null} when the transport cannot tell.
   */
  default Boolean mtls() {
    return null;
  }

  /** The TLS server name the caller asked for. */
  default String sni() {
    return null;
  }

  /** The proxy's configured context extensions (Envoy's ext_authz {@code context_extensions}). */
  default Map<String, String> contextExtensions() {
    return Map.of();
  }

  /** Filter metadata, as nested maps, lists and scalars. Read once per request as a rule. */
  default Map<String, Object> metadata() {
    return null;
  }

  /** The response status (reports only). */
  default Long responseCode() {
    return null;
  }

  /** How long the response took (reports only). */
  default Duration responseDuration() {
    return null;
  }

  /** The response body's size in bytes, {@code null} when not reported (reports only). */
  default Long responseSize() {
    return null;
  }

  /** The response headers, as {@link #headers()} (reports only). */
  default Map<String, String> responseHeaders() {
    return null;
  }
}
