package io.tollgate.rules;

import io.tollgate.adapter.spi.HeaderOp;
import java.util.List;

/**
 * {@code PolicyDecision} is the outcome of checking one request against one policy snapshot.
 *
 * @param allowed whether the request may pass
 * @param httpStatus the status a denied request is answered with (200 when allowed)
 * @param message why it was denied, prefixed by the handler; empty when allowed
 * @param rule the rule that denied, or for an allowed request the last matching rule; empty when no
 *     rule matched
 * @param handler the handler that denied; empty when allowed
 * @param requestHeaders header changes for the request sent upstream, merged in rule order
 * @param responseHeaders header changes for the response sent to the client
 * @param policyVersion the version of the snapshot that decided
 * @param body the denied response's body when the deciding handler chose one; empty for the default
 *     JSON denial
 */
public record PolicyDecision(
    boolean allowed,
    int httpStatus,
    String message,
    String rule,
    String handler,
    List<HeaderOp> requestHeaders,
    List<HeaderOp> responseHeaders,
    long policyVersion,
    String body) {

  /** A decision with the default denial body. */
  public PolicyDecision(
      boolean allowed,
      int httpStatus,
      String message,
      String rule,
      String handler,
      List<HeaderOp> requestHeaders,
      List<HeaderOp> responseHeaders,
      long policyVersion) {
    this(
        allowed,
        httpStatus,
        message,
        rule,
        handler,
        requestHeaders,
        responseHeaders,
        policyVersion,
        "");
  }

  public PolicyDecision {
    body = body == null ? "" : body;
    message = message == null ? "" : message;
    rule = rule == null ? "" : rule;
    handler = handler == null ? "" : handler;
    requestHeaders = List.copyOf(requestHeaders);
    responseHeaders = List.copyOf(responseHeaders);
  }
}
