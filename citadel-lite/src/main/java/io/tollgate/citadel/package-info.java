/**
 * citadel-lite, the certificate authority for workload identities: the CA state on disk in Istio's
 * {@code cacerts} layout, signing SPIFFE X.509 certificates from CSRs, bootstrap tokens,
 * revocations, metrics, and Istio's CSR API over gRPC ({@link io.tollgate.citadel.Citadel}
 * assembles them).
 */
package io.tollgate.citadel;
