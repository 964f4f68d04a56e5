/**
 * The {@code denier} adapter: denies every request it is sent, with a configured status and
 * message. Scope it with a rule's {@code match}.
 */
package io.tollgate.adapters.builtin.denier;
