/**
 * The HTTP check endpoint (Envoy's HTTP-service ext_authz and nginx's auth_request), and {@link
 * io.tollgate.server.http.HttpEndpoint}, the Netty HTTP/1.1 server with per-port limits that serves
 * it and every admin port.
 */
package io.tollgate.server.http;
