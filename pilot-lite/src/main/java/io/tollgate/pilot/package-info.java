/**
 * pilot-lite, an xDS control plane: {@link io.tollgate.pilot.PilotServer} watches a directory of
 * Istio networking files and serves every version that validates to Envoy sidecars and proxyless
 * gRPC clients over ADS, loading a version only once its files have stopped changing.
 */
package io.tollgate.pilot;
