package io.tollgate.rules.snapshot;

/**
 * {@code PreparedPolicy} is what a policy engine made of its files for one version (a compiled DRL
 * rule base, a Rego bundle uploaded to OPA). The snapshot holds it for the engine, which alone
 * looks inside. Immutable.
 */
public interface PreparedPolicy {}
