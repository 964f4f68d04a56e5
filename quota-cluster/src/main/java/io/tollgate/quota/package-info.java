/**
 * Quotas shared by every policy-server replica: Bucket4j buckets held in a Hazelcast cluster that
 * the servers form themselves ({@link io.tollgate.quota.HazelcastQuotas}).
 */
package io.tollgate.quota;
