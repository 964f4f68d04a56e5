/**
 * envoyproxy/ratelimit's answer to a rate-limit request, over the quotas: descriptors matched in
 * their domain, {@code replaces}, shadow mode, the failure mode, the {@code RateLimit-*} headers
 * and the overall code ({@link io.tollgate.quota.ratelimit.RateLimiter}). No transport: the gRPC
 * service translates Envoy's messages to and from it.
 */
package io.tollgate.quota.ratelimit;
