/**
 * The {@code prometheus} adapter: records {@code metric} instances as Prometheus metrics on the
 * server's registry, served with Tollgate's own at the admin port's {@code /metrics}, the way
 * Mixer's prometheus adapter did. Params:
 *
 * <pre>
 * metrics:
 * - name: requests                # exported as requests_total (a counter)
 *   instanceName: requestcount    # the metric instance it records
 *   kind: COUNTER                 # COUNTER (adds value), GAUGE (sets it) or DISTRIBUTION (a histogram)
 *   labelNames: [code, method]    # the instance's dimensions, one label each
 *   description: Requests by response code and method
 *   buckets: [0.005, 0.01, 0.1, 1] # DISTRIBUTION only; default Prometheus' default buckets
 * </pre>
 *
 * A value that is a duration is recorded in seconds. A metric keeps its values across policy
 * reloads while its definition stays the same; a changed definition starts afresh.
 */
package io.tollgate.adapters.builtin.prometheus;
