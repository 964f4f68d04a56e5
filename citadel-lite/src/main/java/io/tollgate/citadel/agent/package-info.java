/**
 * The workload side of citadel-lite: the agent that obtains and renews a workload's certificate,
 * the files it keeps them in (swapped as one), mutual TLS for grpc-java from those files, and the
 * SDS server that hands them to Envoy over a Unix socket.
 */
package io.tollgate.citadel.agent;
