package io.tollgate.adapter.spi;

/**
 * {@code CheckHandler} decides requests: it receives instances of the check templates
 * ({@code authorization}, {@code listentry}, {@code checknothing}, ...).
 */
public interface CheckHandler extends Handler {

  /**
   * Decides one instance for one request. Must not block unless {@link #blocking()} says so;
   * throwing counts as a failure and the rule's failure policy applies.
   */
  CheckResult check(Instance instance, Attributes attributes) throws Exception;

  /**
   * Whether {@link #check} may block (I/O, remote calls). Blocking handlers run on a separate pool
   * with a deadline; non-blocking ones run inline on the request thread.
   */
  default boolean blocking() {
    return false;
  }
}
