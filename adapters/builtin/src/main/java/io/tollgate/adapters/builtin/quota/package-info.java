/**
 * The {@code quota} adapter: spends hits of {@code quota} instances from the shared quota cluster
 * and denies with 429 when a quota is spent, the way Mixer's memquota and redisquota adapters did.
 * Params, in memquota's shape:
 *
 * <pre>
 * mode: strict            # or fast (see Quotas.Mode)
 * status: 429             # the status of a denial
 * quotas:
 *   - name: requestcount  # the quota instance's name
 *     maxAmount: 100
 *     validDuration: 1m
 *     overrides:          # first whose dimensions all equal the instance's wins
 *       - dimensions: {source: 10.0.0.1}
 *         maxAmount: 5
 * </pre>
 *
 * Every distinct combination of dimension values is its own quota. Allowed and denied responses
 * carry {@code x-ratelimit-limit}, {@code x-ratelimit-remaining} and {@code x-ratelimit-reset}
 * (seconds); denials also {@code retry-after}.
 */
package io.tollgate.adapters.builtin.quota;
