package io.tollgate.adapter.spi;

import java.util.Set;

/**
 * {@code Adapter} is the service-provider interface every adapter implements, registered in {@code
 * META-INF/services/io.tollgate.adapter.spi.Adapter}. Implementations need a public no-arg
 * constructor and must be stateless: one adapter builds many handlers.
 */
public interface Adapter {

  /** The name configs use in {@code adapter:}, lower case, e.g. {@code list}. */
  String name();

  /** One line saying what the adapter does. */
  String description();

  /** The template names this adapter's handlers accept. */
  Set<String> templates();

  /**
   * Validates {@code spec.params()} and builds a handler. Reports every problem to {@code
   * spec.params().errors()} rather than throwing; the returned handler is discarded if any was
   * reported.
   */
  Handler build(HandlerSpec spec) throws Exception;
}
