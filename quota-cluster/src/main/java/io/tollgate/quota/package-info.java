/**
 * Quotas shared by every policy-server replica: Bucket4j buckets held in a Hazelcast cluster that
 * the servers form themselves ({@link io.tollgate.quota.HazelcastQuotas}); and the same rules in
 * one process alone ({@link io.tollgate.quota.LocalQuotas}) for commands that join no cluster. The
 * descriptor config is in {@code config}; envoyproxy/ratelimit's answer over the quotas in {@code
 * ratelimit}.
 */
package io.tollgate.quota;
