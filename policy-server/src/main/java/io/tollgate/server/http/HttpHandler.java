package io.tollgate.server.http;

import java.util.concurrent.Executor;

/**
 * {@code HttpHandler} answers the requests of one {@link HttpEndpoint}. The endpoint reads each
 * request in full (the body is read and discarded) on its event loop, then calls {@link #handle} on
 * the executor {@link #executor} names, so that a handler may block without stalling other
 * connections. Implementations are called from many threads at once.
 */
public interface HttpHandler {
  /**
   * The pool that runs {@link #handle} for {@code call}; called on the event loop, so it must not
   * block.
   */
  Executor executor(HttpCall call);

  /**
   * The answer to {@code call}. An exception is logged with an id and answered 500 with only that
   * id (see {@link InternalErrors}).
   */
  HttpReply handle(HttpCall call) throws Exception;
}
