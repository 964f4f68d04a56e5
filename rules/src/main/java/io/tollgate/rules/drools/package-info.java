/**
 * Drools rules: all {@code .drl} files of a policy compile into one rule base per snapshot; each
 * check runs a fresh session with the request as a {@link io.tollgate.rules.drools.Request} fact
 * and a {@link io.tollgate.rules.drools.Decision} fact the rules may change.
 */
package io.tollgate.rules.drools;
