/**
 * How a server answers a failure of its own: the client gets a generic message with an id ({@link
 * io.tollgate.common.errors.ErrorIds}), the log gets the detail under the same id.
 */
package io.tollgate.common.errors;
