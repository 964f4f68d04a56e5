package io.tollgate.adapter.spi;

import java.util.List;

/**
 * {@code CheckResult} is a handler's answer for one instance: allow or deny, and header changes.
 *
 * @param allowed whether the request may pass
 * @param httpStatus the HTTP status to answer a denied request with (403 unless said otherwise)
 * @param message why: shown to the caller of a denied request and in the decision log
 * @param requestHeaders changes to the request sent upstream (allowed requests only)
 * @param responseHeaders changes to the response sent to the client
 * @param body the body of a denied response, sent as it is instead of Tollgate's JSON denial; empty
 *     for the default
 */
public record CheckResult(
    boolean allowed,
    int httpStatus,
    String message,
    List<HeaderOp> requestHeaders,
    List<HeaderOp> responseHeaders,
    String body) {

  private static final CheckResult OK = new CheckResult(true, 200, "", List.of(), List.of());

  public CheckResult {
    message = message == null ? "" : message;
    requestHeaders = List.copyOf(requestHeaders);
    responseHeaders = List.copyOf(responseHeaders);
    body = body == null ? "" : body;
  }

  /** A result with Tollgate's default denial body. */
  public CheckResult(
      boolean allowed,
      int httpStatus,
      String message,
      List<HeaderOp> requestHeaders,
      List<HeaderOp> responseHeaders) {
    this(allowed, httpStatus, message, requestHeaders, responseHeaders, "");
  }

  /** Allow, changing nothing. */
  public static CheckResult ok() {
    return OK;
  }

  /** Allow, changing headers. */
  public static CheckResult ok(List<HeaderOp> requestHeaders, List<HeaderOp> responseHeaders) {
    return new CheckResult(true, 200, "", requestHeaders, responseHeaders);
  }

  /** Deny with 403 Forbidden. */
  public static CheckResult deny(String message) {
    return deny(403, message);
  }

  /** Deny with the given HTTP status. */
  public static CheckResult deny(int httpStatus, String message) {
    return new CheckResult(false, httpStatus, message, List.of(), List.of());
  }
}
