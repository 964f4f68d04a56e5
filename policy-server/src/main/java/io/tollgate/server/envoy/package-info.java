/**
 * Envoy's ext_authz over gRPC: mapping Envoy's AttributeContext to attributes and decisions back.
 */
package io.tollgate.server.envoy;
