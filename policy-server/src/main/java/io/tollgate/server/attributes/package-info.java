/**
 * One attribute mapping for every transport: a transport describes its request as a {@link
 * io.tollgate.server.attributes.RequestView} and {@link
 * io.tollgate.server.attributes.AttributeTable} derives each attribute of the vocabulary from it,
 * the same way for the gRPC check, the HTTP check, nginx and the access log.
 */
package io.tollgate.server.attributes;
