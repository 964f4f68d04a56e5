package io.tollgate.server.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * {@code HttpEndpointMetrics} counts what the {@link HttpLimits} of each {@link HttpEndpoint} cut
 * off, labelled by the endpoint's name ({@code check}, {@code admin}):
 *
 * <ul>
 *   <li>{@code tollgate_http_connections_refused_total}: accepted beyond {@code maxConnections} and
 *       closed at once;
 *   <li>{@code tollgate_http_connections_timed_out_total{reason}}: closed because a request did not
 *       arrive in full in time ({@code request}) or a kept-alive connection sat idle ({@code
 *       idle});
 *   <li>{@code tollgate_http_requests_rejected_total{reason}}: answered without calling the handler
 *       ({@code line} 414, {@code headers} 431, {@code body} 413, {@code malformed} 400, {@code
 *       overloaded} 503: the handler's pool queue was full);
 *   <li>{@code tollgate_http_connections_open}: open now.
 * </ul>
 *
 * One instance per registry, shared by the endpoints registered on it. Thread-safe.
 */
public final class HttpEndpointMetrics {
  private final Counter refused;
  private final Counter timedOut;
  private final Counter rejected;
  private final Map<String, IntSupplier> open = new ConcurrentHashMap<>();

  public HttpEndpointMetrics(PrometheusRegistry registry) {
    refused =
        Counter.builder()
            .name("tollgate_http_connections_refused_total")
            .help("HTTP connections closed on accept: the endpoint had its most open connections")
            .labelNames("endpoint")
            .register(registry);
    timedOut =
        Counter.builder()
            .name("tollgate_http_connections_timed_out_total")
            .help(
                "HTTP connections closed for slowness: a request that did not arrive in full in time, or an idle keep-alive")
            .labelNames("endpoint", "reason")
            .register(registry);
    rejected =
        Counter.builder()
            .name("tollgate_http_requests_rejected_total")
            .help(
                "HTTP requests answered without reaching the handler: over a size limit, malformed, or overloaded")
            .labelNames("endpoint", "reason")
            .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_http_connections_open")
        .help("HTTP connections open, by endpoint")
        .labelNames("endpoint")
        .callback(cb -> open.forEach((name, n) -> cb.call(n.getAsInt(), name)))
        .register(registry);
  }

  /** Metrics on a registry of their own, for an endpoint nobody scrapes (tests). */
  public static HttpEndpointMetrics unregistered() {
    return new HttpEndpointMetrics(new PrometheusRegistry());
  }

  void opened(String endpoint, IntSupplier count) {
    open.put(endpoint, count);
  }

  void refused(String endpoint) {
    refused.labelValues(endpoint).inc();
  }

  void timedOut(String endpoint, String reason) {
    timedOut.labelValues(endpoint, reason).inc();
  }

  void rejected(String endpoint, String reason) {
    rejected.labelValues(endpoint, reason).inc();
  }

  /** Connections {@code endpoint} refused so far. */
  public long refusedCount(String endpoint) {
    return (long) refused.labelValues(endpoint).get();
  }

  /** Connections {@code endpoint} closed for {@code reason} ({@code request}, {@code idle}). */
  public long timedOutCount(String endpoint, String reason) {
    return (long) timedOut.labelValues(endpoint, reason).get();
  }

  /** Requests {@code endpoint} rejected for {@code reason}. */
  public long rejectedCount(String endpoint, String reason) {
    return (long) rejected.labelValues(endpoint, reason).get();
  }
}
