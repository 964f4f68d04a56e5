/**
 * From a validated mesh to xDS resources: clusters, routes and listeners for proxyless gRPC and for
 * Envoy sidecars, with the policy server's filters (ext_authz, rate limit, access log) and mutual
 * TLS with the workload certificates.
 */
package io.tollgate.pilot.xds;
