/**
 * How Tollgate's parts start and stop their threads and servers: daemon thread factories ({@link
 * io.tollgate.common.lifecycle.DaemonThreads}) and the gRPC server shutdown ({@link
 * io.tollgate.common.lifecycle.GrpcServers}).
 *
 * <p>{@code GrpcServers} needs gRPC on the class path; this module does not bring it to modules
 * that only use the rest (its grpc-api dependency is optional).
 */
package io.tollgate.common.lifecycle;
