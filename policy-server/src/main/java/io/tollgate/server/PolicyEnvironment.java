package io.tollgate.server;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.LocalQuotas;
import io.tollgate.rules.RuntimeOptions;
import io.tollgate.server.ratelimit.RateLimitConfigs;
import java.time.Clock;
import java.util.Map;

/**
 * {@code PolicyEnvironment} is what a policy compiles against besides its files: the compiler of
 * its rate-limit files, the quotas its quota handlers spend from and the Prometheus registry its
 * prometheus handlers record into. {@code tollgate serve}, {@code validate} and {@code test} take
 * their runtime options from here alone, so that one accepts exactly what the others accept.
 */
public final class PolicyEnvironment {
  private PolicyEnvironment() {}

  /**
   * {@code base} with the server's pieces.
   *
   * @param quotas the quota cluster, which compiling does not touch
   * @param registry the server's registry, made by {@link #registry()}
   */
  public static RuntimeOptions serving(
      RuntimeOptions base, Quotas quotas, PrometheusRegistry registry) {
    return base.withRateLimits(new RateLimitConfigs())
        .withQuotas(quotas)
        .withServices(Map.of(PrometheusRegistry.class, registry));
  }

  /**
   * {@code base} for a one-shot command: the same pieces, but a registry of its own and quotas in
   * this process ({@link LocalQuotas}), full at the start as a fresh cluster's, so that nothing
   * listens or joins a cluster.
   */
  public static RuntimeOptions offline(RuntimeOptions base) {
    return serving(base, new LocalQuotas(Clock.systemUTC()), registry());
  }

  /**
   * A registry with what the server registers that a policy's metric could collide with before any
   * policy compiles: the JVM's metrics ({@code tollgate_*} names are refused by the adapter).
   */
  public static PrometheusRegistry registry() {
    PrometheusRegistry r = new PrometheusRegistry();
    JvmMetrics.builder().register(r);
    return r;
  }
}
