/**
 * The {@code headers} adapter: fixed header changes for the upstream request and the client
 * response, for when the values do not depend on the request (otherwise use a rule's header
 * operations, whose values are expressions).
 */
package io.tollgate.adapters.builtin.headers;
