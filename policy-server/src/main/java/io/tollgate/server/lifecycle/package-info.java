/**
 * How the policy server's parts start and stop their threads and servers: daemon thread factories
 * and the gRPC server shutdown.
 */
package io.tollgate.server.lifecycle;
