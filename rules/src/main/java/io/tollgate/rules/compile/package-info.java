/**
 * From a policy directory to a {@link io.tollgate.rules.snapshot.PolicySnapshot}, or to every
 * located problem: {@link io.tollgate.rules.compile.PolicyCompiler} runs the steps in order.
 */
package io.tollgate.rules.compile;
