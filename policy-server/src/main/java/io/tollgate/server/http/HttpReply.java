package io.tollgate.server.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;

/**
 * {@code HttpReply} is what an {@link HttpHandler} answers: a status, headers and a body (sent with
 * its length). Header names and values are checked as they are set (no CR or LF), so a value from a
 * policy cannot split the response. Not thread-safe; the endpoint sends it once the handler returns
 * it.
 */
public final class HttpReply {
  private final int status;
  private final HttpHeaders headers = new DefaultHttpHeaders();
  private byte[] body = new byte[0];

  private HttpReply(int status) {
    if (status < 100 || status > 999) {
      throw new IllegalArgumentException("HTTP status must be three digits, not " + status);
    }
    this.status = status;
  }

  /** An answer with {@code status} and no body. */
  public static HttpReply status(int status) {
    return new HttpReply(status);
  }

  /** {@code text} as {@code text/plain; charset=utf-8}. */
  public static HttpReply text(int status, String text) {
    return new HttpReply(status)
        .body("text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code json}, already serialized, as {@code application/json}. */
  public static HttpReply json(int status, byte[] json) {
    return new HttpReply(status).body("application/json", json);
  }

  /** Sets the body and its {@code content-type}; a {@code null} type leaves the header as it is. */
  public HttpReply body(String contentType, byte[] body) {
    if (contentType != null) {
      headers.set("content-type", contentType);
    }
    this.body = body;
    return this;
  }

  /** Sets header {@code name} to {@code value}, replacing any value it had. */
  public HttpReply set(String name, String value) {
    headers.set(name, value);
    return this;
  }

  /** Adds a value to header {@code name}. */
  public HttpReply add(String name, String value) {
    headers.add(name, value);
    return this;
  }

  public int statusCode() {
    return status;
  }

  /** The first value of header {@code name}, or {@code null}. */
  public String header(String name) {
    return headers.get(name);
  }

  HttpHeaders headers() {
    return headers;
  }

  byte[] bodyBytes() {
    return body;
  }
}
