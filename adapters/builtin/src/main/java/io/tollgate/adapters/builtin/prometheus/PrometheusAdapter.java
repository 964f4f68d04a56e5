package io.tollgate.adapters.builtin.prometheus;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.ConfigErrors;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.Params;
import io.tollgate.adapter.spi.ReportHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code PrometheusAdapter} builds prometheus handlers; see the package documentation for the
 * params.
 */
public final class PrometheusAdapter implements Adapter {
  private static final Set<String> METRIC =
      Set.of("name", "instanceName", "kind", "labelNames", "description", "buckets");

  @Override
  public String name() {
    return "prometheus";
  }

  @Override
  public String description() {
    return "records metric instances as Prometheus counters, gauges and histograms on the admin port's /metrics";
  }

  @Override
  public Set<String> templates() {
    return Set.of("metric");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    Params p = spec.params();
    p.rejectUnknown(Set.of("metrics"));
    PrometheusRegistry registry = spec.service(PrometheusRegistry.class).orElse(null);
    if (registry == null) {
      p.errors().add("", "this server offers no Prometheus registry to record into");
      return null;
    }
    if (!p.has("metrics")) {
      p.errors().add("metrics", "is required: a list of {name, instanceName, kind, labelNames}");
    }
    List<MetricSpec> specs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> instances = new HashSet<>();
    List<Map<String, Object>> list = p.maps("metrics");
    for (int i = 0; i < list.size(); i++) {
      Params m = new Params(list.get(i), prefixed(p.errors(), "metrics[" + i + "]"));
      m.rejectUnknown(METRIC);
      MetricSpec s = metric(m);
      if (s == null) {
        continue;
      }
      if (!names.add(s.name())) {
        m.errors().add("name", "metric '" + s.name() + "' is defined twice");
      } else if (!instances.add(s.instanceName())) {
        m.errors()
            .add("instanceName", "instance '" + s.instanceName() + "' is recorded by two metrics");
      } else {
        specs.add(s);
      }
    }
    if (!p.errors().isEmpty()) {
      return null;
    }
    MetricFamilies families = MetricFamilies.of(registry);
    Map<String, MetricFamilies.Family> byInstance = new HashMap<>();
    try {
      for (MetricSpec s : specs) {
        byInstance.put(s.instanceName(), families.acquire(s));
      }
    } catch (IllegalArgumentException e) {
      byInstance.values().forEach(families::release);
      p.errors().add("metrics", e.getMessage());
      return null;
    }
    return new PrometheusHandler(spec.name(), families, Map.copyOf(byInstance));
  }

  private static MetricSpec metric(Params m) {
    String name = m.string("name", "");
    if (name.isEmpty()) {
      m.errors().add("name", "is required");
    } else if (!PrometheusNaming.isValidLegacyMetricName(name)) {
      m.errors()
          .add(
              "name",
              "'" + name + "' is not a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
    } else if (name.startsWith("tollgate_")) {
      m.errors()
          .add(
              "name",
              "'"
                  + name
                  + "': names starting with tollgate_ are Tollgate's own metrics; choose another prefix");
    }
    String instance = m.string("instanceName", "");
    if (instance.isEmpty()) {
      m.errors().add("instanceName", "is required: the metric instance this metric records");
    }
    MetricSpec.Kind kind = m.enumValue("kind", MetricSpec.Kind.class, null);
    if (kind == null && !m.has("kind")) {
      m.errors().add("kind", "is required: COUNTER, GAUGE or DISTRIBUTION");
    }
    List<String> labels = m.strings("labelNames");
    Set<String> seen = new HashSet<>();
    for (int j = 0; j < labels.size(); j++) {
      String l = labels.get(j);
      if (!PrometheusNaming.isValidLegacyLabelName(l) || l.startsWith("__")) {
        m.errors().add("labelNames[" + j + "]", "'" + l + "' is not a valid Prometheus label name");
      } else if (!seen.add(l)) {
        m.errors().add("labelNames[" + j + "]", "label '" + l + "' is given twice");
      }
    }
    List<Double> buckets = new ArrayList<>();
    if (m.has("buckets")) {
      if (kind != MetricSpec.Kind.DISTRIBUTION) {
        m.errors().add("buckets", "only a DISTRIBUTION has buckets");
      }
      Object raw = m.asMap().get("buckets");
      if (raw instanceof List<?> l) {
        double last = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < l.size(); j++) {
          if (!(l.get(j) instanceof Number n) || n.doubleValue() <= last) {
            m.errors().add("buckets[" + j + "]", "buckets are numbers in increasing order");
            break;
          }
          last = n.doubleValue();
          buckets.add(last);
        }
      } else {
        m.errors().add("buckets", "must be a list of upper bounds");
      }
    }
    String help = m.string("description", "");
    if (name.isEmpty() || instance.isEmpty() || kind == null || !m.errors().isEmpty()) {
      return null;
    }
    return new MetricSpec(
        name,
        instance,
        kind,
        List.copyOf(labels),
        help.isEmpty() ? name : help,
        List.copyOf(buckets));
  }

  private static ConfigErrors prefixed(ConfigErrors errors, String prefix) {
    return new ConfigErrors() {
      private boolean any;

      @Override
      public void add(String field, String message) {
        any = true;
        errors.add(field == null || field.isEmpty() ? prefix : prefix + "." + field, message);
      }

      @Override
      public boolean isEmpty() {
        return !any;
      }
    };
  }

  /** Records each instance into the metric defined for its name. */
  private record PrometheusHandler(
      String name, MetricFamilies families, Map<String, MetricFamilies.Family> byInstance)
      implements ReportHandler {

    @Override
    public void report(Instance instance, Attributes attributes) {
      MetricFamilies.Family f = byInstance.get(instance.name());
      if (f == null) {
        throw new IllegalStateException(
            "prometheus handler '"
                + name
                + "' has no metric for instance '"
                + instance.name()
                + "'; add one with instanceName: "
                + instance.name());
      }
      Object dims = instance.values().get("dimensions");
      Map<?, ?> dimensions = dims instanceof Map<?, ?> m ? m : Map.of();
      List<String> labelNames = f.spec().labelNames();
      String[] values = new String[labelNames.size()];
      for (int i = 0; i < values.length; i++) {
        Object v = dimensions.get(labelNames.get(i));
        if (v == null) {
          throw new IllegalArgumentException(
              "metric '"
                  + f.spec().name()
                  + "': instance '"
                  + instance.name()
                  + "' has no dimension '"
                  + labelNames.get(i)
                  + "'");
        }
        if (v instanceof Map<?, ?> || v instanceof List<?>) {
          throw new IllegalArgumentException(
              "metric '"
                  + f.spec().name()
                  + "': dimension '"
                  + labelNames.get(i)
                  + "' is a "
                  + (v instanceof Map<?, ?> ? "map" : "list")
                  + ", not a single value");
        }
        values[i] = String.valueOf(v);
      }
      f.record(number(f.spec(), instance.values().get("value")), values);
    }

    private static double number(MetricSpec spec, Object v) {
      if (v == null) {
        return 1; // a counter of requests needs no value
      }
      if (v instanceof Number n) {
        return n.doubleValue();
      }
      if (v instanceof Duration d) {
        return d.toNanos() / 1e9;
      }
      if (v instanceof Boolean b) {
        return b ? 1 : 0;
      }
      throw new IllegalArgumentException(
          "metric '"
              + spec.name()
              + "': value must be a number or a duration, not "
              + v.getClass().getSimpleName()
              + " '"
              + v
              + "'");
    }

    @Override
    public void close() {
      byInstance.values().forEach(families::release);
    }
  }
}
