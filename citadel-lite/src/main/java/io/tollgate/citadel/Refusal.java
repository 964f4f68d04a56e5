package io.tollgate.citadel;

import io.grpc.Status;

/**
 * Why the CA refused a request: a gRPC status for the caller, a short {@code reason} for the {@code
 * tollgate_ca_requests_refused_total} metric, and a message that says what to fix.
 */
public final class Refusal extends Exception {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final String reason;

  public Refusal(Status.Code code, String reason, String message) {
    super(message);
    this.code = code;
    this.reason = reason;
  }

  public static Refusal invalid(String reason, String message) {
    return new Refusal(Status.Code.INVALID_ARGUMENT, reason, message);
  }

  public static Refusal unauthenticated(String reason, String message) {
    return new Refusal(Status.Code.UNAUTHENTICATED, reason, message);
  }

  public static Refusal denied(String reason, String message) {
    return new Refusal(Status.Code.PERMISSION_DENIED, reason, message);
  }

  public Status.Code code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  public Status status() {
    return Status.fromCode(code).withDescription(getMessage());
  }
}
