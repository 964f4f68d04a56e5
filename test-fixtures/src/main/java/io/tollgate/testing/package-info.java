/**
 * Helpers for the tests of every module: launchers for the real peers the integration tests talk to
 * (Envoy, nginx, Prometheus, OPA), an echo upstream, free ports, and closing what a test started.
 */
package io.tollgate.testing;
