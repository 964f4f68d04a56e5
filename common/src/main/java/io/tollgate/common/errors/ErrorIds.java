package io.tollgate.common.errors;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * {@code ErrorIds} names one internal failure, so that a client can be told something went wrong
 * without being told what: an exception's text (a handler's {@code NullPointerException}, a JDK
 * parser's message, a file path) describes the server's insides and is no business of the client's.
 * The client gets {@link #clientMessage}, the log line with the stack trace carries the same id,
 * and an operator given the id by the client finds the line.
 *
 * <p>Every transport answers its failures this way (the ext_authz gRPC and HTTP ports, the RLS, the
 * ALS, the CA), so the message reads the same everywhere. The id is 8 random hex digits: enough to
 * find one line in a day's log, not a secret, not unique forever. Thread-safe, lock-free.
 */
public final class ErrorIds {
  /** What {@link #next()} returns: 8 lowercase hex digits. */
  public static final Pattern ID = Pattern.compile("[0-9a-f]{8}");

  private ErrorIds() {}

  /** A new id for one failure. */
  public static String next() {
    return String.format("%08x", ThreadLocalRandom.current().nextInt());
  }

  /**
   * What the client is told of failure {@code id}: {@code internal error (id 1a2b3c4d); the server
   * log has the details}.
   */
  public static String clientMessage(String id) {
    return "internal error (id " + id + "); the server log has the details";
  }
}
