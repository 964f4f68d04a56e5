/** Tollgate's built-in adapters, one package each. */
package io.tollgate.adapters.builtin;
