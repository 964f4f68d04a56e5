/** The HTTP check endpoint: Envoy's HTTP-service ext_authz and nginx's auth_request. */
package io.tollgate.server.http;
