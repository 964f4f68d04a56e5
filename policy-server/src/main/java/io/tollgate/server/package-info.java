/**
 * The policy server process: composes the rules runtime with its transports (gRPC ext_authz, HTTP
 * check), the admin server, metrics and the decision log.
 */
package io.tollgate.server;
