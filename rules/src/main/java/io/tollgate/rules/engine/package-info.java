/**
 * The interface a policy language implements ({@link io.tollgate.rules.engine.PolicyEngine}): DRL
 * in {@code rules.drools}, Rego in {@code rules.rego}. The compiler gives each engine its files and
 * its {@code kind: Handler} documents; the dispatcher calls what it builds like any handler.
 */
package io.tollgate.rules.engine;
