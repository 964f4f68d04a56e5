package io.tollgate.server.http;

import io.tollgate.common.errors.ErrorIds;
import org.slf4j.Logger;

/**
 * {@code InternalErrors} say how a failure inside the server is answered: the client gets a generic
 * message with an id, the log gets the id with the exception. Exception text can name files,
 * classes, policy contents or addresses; it stays in the log. The id and message are {@link
 * ErrorIds}', as on every other transport.
 */
public final class InternalErrors {
  private InternalErrors() {}

  /**
   * Logs {@code e} at warning, saying {@code what} failed, under a fresh id, and returns the
   * message for the client: {@code internal error (id 1a2b3c4d); the server log has the details}.
   */
  public static String log(Logger log, String what, Throwable e) {
    String id = ErrorIds.next();
    log.warn("{} failed (id {})", what, id, e);
    return ErrorIds.clientMessage(id);
  }
}
