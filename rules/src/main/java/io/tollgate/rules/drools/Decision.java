package io.tollgate.rules.drools;

import io.tollgate.adapter.spi.HeaderOp;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Decision} is the fact DRL rules change to decide: {@code $d.deny(403, "why")} denies;
 * {@code $d.addRequestHeader(...)} and {@code $d.addResponseHeader(...)} change headers. The first
 * denial stands; later ones are ignored, so the decision names the rule that denied first.
 *
 * <p>One instance per check, used by one session on one thread.
 */
public final class Decision {
  private boolean denied;
  private int status = 200;
  private String message = "";
  private String deniedBy = "";
  private final List<HeaderOp> requestHeaders = new ArrayList<>();
  private final List<HeaderOp> responseHeaders = new ArrayList<>();

  /** Denies with 403 Forbidden. */
  public void deny(String message) {
    deny(403, message);
  }

  /** Denies with the given HTTP status (400-599). */
  public void deny(int status, String message) {
    if (denied) {
      return;
    }
    denied = true;
    this.status = status >= 400 && status <= 599 ? status : 403;
    this.message = message == null ? "" : message;
  }

  /** Sets a header on the request sent upstream, replacing any value. */
  public void setRequestHeader(String name, String value) {
    requestHeaders.add(HeaderOp.replace(name, value));
  }

  /** Adds a header value to the request sent upstream. */
  public void addRequestHeader(String name, String value) {
    requestHeaders.add(HeaderOp.append(name, value));
  }

  /** Removes a header from the request sent upstream. */
  public void removeRequestHeader(String name) {
    requestHeaders.add(HeaderOp.remove(name));
  }

  /** Adds a header to the response sent to the client. */
  public void addResponseHeader(String name, String value) {
    responseHeaders.add(HeaderOp.append(name, value));
  }

  public boolean isDenied() {
    return denied;
  }

  public int getStatus() {
    return status;
  }

  public String getMessage() {
    return message;
  }

  /** The name of the DRL rule that denied, or empty. */
  public String getDeniedBy() {
    return deniedBy;
  }

  void setDeniedBy(String rule) {
    if (deniedBy.isEmpty()) {
      deniedBy = rule;
    }
  }

  public List<HeaderOp> getRequestHeaders() {
    return requestHeaders;
  }

  public List<HeaderOp> getResponseHeaders() {
    return responseHeaders;
  }
}
