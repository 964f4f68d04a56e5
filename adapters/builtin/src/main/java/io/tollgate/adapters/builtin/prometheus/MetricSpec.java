package io.tollgate.adapters.builtin.prometheus;

import java.util.List;

/** One configured metric. Two specs that are equal define the same metric. */
record MetricSpec(
    String name,
    String instanceName,
    Kind kind,
    List<String> labelNames,
    String help,
    List<Double> buckets) {

  /** What a metric does with the values it records. */
  enum Kind {
    /** Adds each value (must not be negative). */
    COUNTER,
    /** Sets the value. */
    GAUGE,
    /** Observes each value into histogram buckets. */
    DISTRIBUTION
  }

  /** The definition, without the instance it records: what decides whether a metric can be kept. */
  MetricSpec definition() {
    return new MetricSpec(name, "", kind, labelNames, help, buckets);
  }
}
