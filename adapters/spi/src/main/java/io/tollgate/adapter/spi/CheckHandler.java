package io.tollgate.adapter.spi;

/**
 * {@code CheckHandler} decides requests: it receives instances of the check templates ({@code
 * authorization}, {@code listentry}, {@code checknothing}, ...).
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

  /**
   * Whether it can deny a request. A rule whose {@code match} fails to evaluate counts as matched
   * when it fails closed and one of its handlers can deny, so only a handler that never denies (one
   * that only sets headers) says no.
   */
  default boolean mayDeny() {
    return true;
  }

  /**
   * Whether results may be cached: a handler says yes when its result depends only on the request's
   * attributes and the instance, not on time or outside state that changes. Only then does a
   * Handler document's {@code cache} setting apply to it.
   */
  default boolean cacheable() {
    return false;
  }
}
