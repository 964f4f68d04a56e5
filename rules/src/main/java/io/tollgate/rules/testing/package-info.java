/**
 * Rule tests: {@code tests/*.yaml} in a policy directory list requests (as attributes) and the
 * decisions the policy must make for them; {@code tollgate test} runs them.
 */
package io.tollgate.rules.testing;
