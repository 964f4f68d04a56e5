/**
 * Envoy's global rate-limit service (RLS v3), answered from the policy's descriptor config and the
 * quota cluster.
 */
package io.tollgate.server.ratelimit;
