/**
 * The rules runtime's public API ({@link io.tollgate.rules.PolicyRuntime}, {@link
 * io.tollgate.rules.Decider}, {@link io.tollgate.rules.PolicyDecision}) and its lifecycle: reload,
 * watch, warm-up and retiring replaced versions. How a version is compiled, held and dispatched is
 * in the {@code compile}, {@code snapshot} and {@code dispatch} subpackages.
 */
package io.tollgate.rules;
