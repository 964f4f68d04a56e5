/**
 * Benchmarks of the policy server: {@link io.tollgate.benchmarks.DecisionBenchmark} (JMH, the
 * in-process cost of one decision), {@link io.tollgate.benchmarks.NoopAuthzServer} (the ceiling the
 * load runs compare Tollgate with) and {@link io.tollgate.benchmarks.LoadInputs} (what ghz sends).
 * {@code benchmarks/run-load.sh} drives the load runs; {@code benchmarks/README.md} explains the
 * figures.
 */
package io.tollgate.benchmarks;
