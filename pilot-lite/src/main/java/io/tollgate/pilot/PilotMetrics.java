package io.tollgate.pilot;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code PilotMetrics} holds pilot-lite's meters: connected streams, pushes, push time, reloads,
 * configurations proxies rejected (NACKs), and requests refused for their node's metadata.
 */
final class PilotMetrics {
  final Gauge streams;
  final Counter pushes;
  final Histogram pushSeconds;
  final Counter reloads;
  final Counter rejected;
  final Counter refused;

  PilotMetrics(PrometheusRegistry registry) {
    streams =
        Gauge.builder()
            .name("tollgate_pilot_xds_streams")
            .help("Open xDS streams (proxies connected)")
            .register(registry);
    pushes =
        Counter.builder()
            .name("tollgate_pilot_pushes")
            .help("New configuration versions pushed")
            .register(registry);
    pushSeconds =
        Histogram.builder()
            .name("tollgate_pilot_push_duration_seconds")
            .help("Time to translate the mesh and hand it to the cache")
            .register(registry);
    reloads =
        Counter.builder()
            .name("tollgate_pilot_reloads")
            .help("Mesh reloads by result")
            .labelNames("result")
            .register(registry);
    rejected =
        Counter.builder()
            .name("tollgate_pilot_rejected_configs")
            .help("Configurations a proxy rejected (NACK), by resource type")
            .labelNames("type")
            .register(registry);
    refused =
        Counter.builder()
            .name("tollgate_pilot_refused_requests")
            .help(
                "xDS requests refused because the node's metadata is invalid (e.g. a port that is not one)")
            .register(registry);
  }
}
