/**
 * Rego policies, evaluated by a real OPA server that Tollgate reaches through opa-java-client:
 * module rewriting into versioned slots, upload and queries, the supervised {@code opa} process,
 * the circuit breaker, and the {@code rego} handler.
 */
package io.tollgate.rules.rego;
