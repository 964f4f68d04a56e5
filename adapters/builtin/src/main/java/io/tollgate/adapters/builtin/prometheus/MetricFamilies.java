package io.tollgate.adapters.builtin.prometheus;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * {@code MetricFamilies} owns the metrics prometheus handlers registered on one registry. A policy
 * reload builds the new handlers before the old ones close, so a metric is shared by reference
 * count: an unchanged definition keeps its collector and values, a changed one replaces it, and the
 * last handler to let go unregisters it. Thread-safe.
 */
final class MetricFamilies {
  private static final Map<PrometheusRegistry, MetricFamilies> BY_REGISTRY = new WeakHashMap<>();

  private final PrometheusRegistry registry;
  private final Map<String, Family> byName = new HashMap<>();

  private MetricFamilies(PrometheusRegistry registry) {
    this.registry = registry;
  }

  static synchronized MetricFamilies of(PrometheusRegistry registry) {
    return BY_REGISTRY.computeIfAbsent(registry, MetricFamilies::new);
  }

  /** A registered metric and how many handlers use it. */
  static final class Family {
    private final MetricSpec spec;
    private final Collector collector;
    private int refs;

    private Family(MetricSpec spec, Collector collector) {
      this.spec = spec;
      this.collector = collector;
    }

    MetricSpec spec() {
      return spec;
    }

    void record(double value, String... labels) {
      if (collector instanceof Counter c) {
        if (value < 0) {
          throw new IllegalArgumentException(
              "counter '" + spec.name() + "' cannot go down (value " + value + ")");
        }
        c.labelValues(labels).inc(value);
      } else if (collector instanceof Gauge g) {
        g.labelValues(labels).set(value);
      } else {
        ((Histogram) collector).labelValues(labels).observe(value);
      }
    }
  }

  /**
   * The metric for {@code spec}, registering it if needed.
   *
   * @throws IllegalArgumentException if the registry refuses the name (Tollgate's own metrics)
   */
  synchronized Family acquire(MetricSpec spec) {
    Family f = byName.get(spec.name());
    if (f != null && f.spec.definition().equals(spec.definition())) {
      f.refs++;
      return f;
    }
    if (f != null) {
      registry.unregister(f.collector); // redefined: the new definition starts afresh
      byName.remove(spec.name());
    }
    Collector c;
    try {
      c =
          switch (spec.kind()) {
            case COUNTER ->
                Counter.builder()
                    .name(spec.name())
                    .help(spec.help())
                    .labelNames(spec.labelNames().toArray(String[]::new))
                    .register(registry);
            case GAUGE ->
                Gauge.builder()
                    .name(spec.name())
                    .help(spec.help())
                    .labelNames(spec.labelNames().toArray(String[]::new))
                    .register(registry);
            case DISTRIBUTION -> {
              Histogram.Builder b =
                  Histogram.builder()
                      .name(spec.name())
                      .help(spec.help())
                      .classicOnly()
                      .labelNames(spec.labelNames().toArray(String[]::new));
              if (!spec.buckets().isEmpty()) {
                b.classicUpperBounds(
                    spec.buckets().stream().mapToDouble(Double::doubleValue).toArray());
              }
              yield b.register(registry);
            }
          };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "metric '"
              + spec.name()
              + "' cannot be registered (is the name taken by "
              + "Tollgate's own metrics or another handler?): "
              + e.getMessage(),
          e);
    }
    Family fresh = new Family(spec, c);
    fresh.refs = 1;
    byName.put(spec.name(), fresh);
    return fresh;
  }

  /** Lets go of a metric; the last user unregisters it. */
  synchronized void release(Family f) {
    Family current = byName.get(f.spec.name());
    if (current != f) {
      return; // replaced by a new definition already
    }
    if (--f.refs == 0) {
      registry.unregister(f.collector);
      byName.remove(f.spec.name());
    }
  }
}
