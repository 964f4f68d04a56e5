package io.tollgate.adapters.builtin.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.ReportHandler;
import io.tollgate.adapters.builtin.AdapterContract;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrometheusAdapterTest {
  @TempDir Path dir;
  final PrometheusRegistry registry = new PrometheusRegistry();

  static final Map<String, Object> PARAMS =
      Map.of(
          "metrics",
          List.of(
              Map.of(
                  "name",
                  "requests",
                  "instanceName",
                  "requestcount",
                  "kind",
                  "COUNTER",
                  "labelNames",
                  List.of("code", "method"),
                  "description",
                  "Requests by code and method"),
              Map.of(
                  "name",
                  "request_duration_seconds",
                  "instanceName",
                  "latency",
                  "kind",
                  "DISTRIBUTION",
                  "labelNames",
                  List.of("code"),
                  "buckets",
                  List.of(0.01, 0.1, 1.0)),
              Map.of("name", "in_flight", "instanceName", "inflight", "kind", "GAUGE")));

  AdapterContract contract(Map<String, Object> params) throws Exception {
    return new AdapterContract(new PrometheusAdapter(), dir)
        .services(Map.of(PrometheusRegistry.class, registry))
        .build(params);
  }

  String scrape() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.builder()
        .setIncludeCreatedTimestamps(false)
        .build()
        .write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  static void report(ReportHandler h, String instance, Object value, Map<String, Object> dims)
      throws Exception {
    java.util.Map<String, Object> v = new java.util.HashMap<>();
    if (value != null) {
      v.put("value", value);
    }
    v.put("dimensions", dims);
    h.report(new Instance(instance, "metric", v), Attributes.builder().build());
  }

  @Test
  void recordsCountersHistogramsAndGaugesWithLabels() throws Exception {
    AdapterContract c = contract(PARAMS);
    assertThat(c.errors()).isEmpty();
    ReportHandler h = (ReportHandler) c.handler();
    report(h, "requestcount", 1L, Map.of("code", 200L, "method", "GET"));
    report(h, "requestcount", null, Map.of("code", 200L, "method", "GET"));
    report(h, "requestcount", 1L, Map.of("code", 503L, "method", "POST", "extra", "ignored"));
    report(h, "latency", Duration.ofMillis(50), Map.of("code", 200L));
    report(h, "inflight", 7L, Map.of());
    String text = scrape();
    assertThat(text)
        .contains("requests_total{code=\"200\",method=\"GET\"} 2.0")
        .contains("requests_total{code=\"503\",method=\"POST\"} 1.0")
        .contains("# HELP requests_total Requests by code and method")
        .contains("request_duration_seconds_bucket{code=\"200\",le=\"0.1\"} 1")
        .contains("request_duration_seconds_bucket{code=\"200\",le=\"0.01\"} 0")
        .contains("in_flight 7.0");
  }

  @Test
  void badReportsFailNamingWhatIsWrong() throws Exception {
    ReportHandler h = (ReportHandler) contract(PARAMS).handler();
    assertThatThrownBy(() -> report(h, "requestcount", 1L, Map.of("code", 200L)))
        .hasMessageContaining("has no dimension 'method'");
    assertThatThrownBy(
            () -> report(h, "requestcount", 1L, Map.of("code", Map.of("a", "b"), "method", "GET")))
        .hasMessageContaining("dimension 'code' is a map");
    assertThatThrownBy(() -> report(h, "requestcount", "lots", Map.of("code", 1L, "method", "GET")))
        .hasMessageContaining("value must be a number or a duration");
    assertThatThrownBy(() -> report(h, "requestcount", -1L, Map.of("code", 1L, "method", "GET")))
        .hasMessageContaining("cannot go down");
    assertThatThrownBy(() -> report(h, "unknown", 1L, Map.of()))
        .hasMessageContaining("no metric for instance 'unknown'");
  }

  @Test
  void badParamsAreReportedByField() throws Exception {
    AdapterContract c =
        contract(
            Map.of(
                "metrics",
                List.of(
                    Map.of("name", "bad-name", "instanceName", "a", "kind", "COUNTER"),
                    Map.of("name", "ok", "instanceName", "b", "kind", "SUMMARY"),
                    Map.of(
                        "name",
                        "ok2",
                        "instanceName",
                        "c",
                        "kind",
                        "GAUGE",
                        "labelNames",
                        List.of("__x", "fine", "fine"),
                        "buckets",
                        List.of(1)),
                    Map.of("name", "ok3", "kind", "DISTRIBUTION", "buckets", List.of(1, 0.5)))));
    assertThat(c.errors())
        .containsOnlyKeys(
            "metrics[0].name",
            "metrics[1].kind",
            "metrics[2].labelNames[0]",
            "metrics[2].labelNames[2]",
            "metrics[2].buckets",
            "metrics[3].instanceName",
            "metrics[3].buckets[1]");
    assertThat(c.errors().get("metrics[0].name"))
        .contains("'bad-name' is not a valid Prometheus metric name");
    assertThat(
            contract(
                    Map.of(
                        "metrics",
                        List.of(
                            Map.of(
                                "name",
                                "tollgate_checks",
                                "instanceName",
                                "x",
                                "kind",
                                "COUNTER"))))
                .errors()
                .get("metrics[0].name"))
        .contains("Tollgate's own metrics");
    assertThat(new AdapterContract(new PrometheusAdapter(), dir).build(PARAMS).errors())
        .as("a server without a registry")
        .containsKey("");
    // A name Tollgate (or anyone) already registered is refused at load.
    io.prometheus.metrics.core.metrics.Counter.builder().name("taken").help("x").register(registry);
    assertThat(
            contract(
                    Map.of(
                        "metrics",
                        List.of(Map.of("name", "taken", "instanceName", "t", "kind", "COUNTER"))))
                .errors()
                .get("metrics"))
        .contains("metric 'taken' cannot be registered");
  }

  @Test
  void aReloadKeepsUnchangedMetricsAndTheLastHandlerUnregisters() throws Exception {
    ReportHandler first = (ReportHandler) contract(PARAMS).handler();
    report(first, "requestcount", 1L, Map.of("code", 200L, "method", "GET"));
    // The new version is built before the old one closes.
    ReportHandler second = (ReportHandler) contract(PARAMS).handler();
    first.close();
    report(second, "requestcount", 1L, Map.of("code", 200L, "method", "GET"));
    assertThat(scrape()).contains("requests_total{code=\"200\",method=\"GET\"} 2.0");
    // A changed definition starts afresh.
    ReportHandler third =
        (ReportHandler)
            contract(
                    Map.of(
                        "metrics",
                        List.of(
                            Map.of(
                                "name",
                                "requests",
                                "instanceName",
                                "requestcount",
                                "kind",
                                "COUNTER",
                                "labelNames",
                                List.of("code")))))
                .handler();
    second.close();
    report(third, "requestcount", 1L, Map.of("code", 200L));
    assertThat(scrape()).contains("requests_total{code=\"200\"} 1.0").doesNotContain("method=");
    third.close();
    assertThat(scrape()).doesNotContain("requests_total");
  }
}
