/**
 * Quotas shared by every policy-server replica: Bucket4j buckets held in a Hazelcast cluster that
 * the servers form themselves ({@link io.tollgate.quota.HazelcastQuotas}); and the same rules in
 * one process alone ({@link io.tollgate.quota.LocalQuotas}) for commands that join no cluster.
 */
package io.tollgate.quota;
