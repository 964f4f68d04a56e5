/** Fake adapters for rules tests. */
package io.tollgate.rules.fake;
