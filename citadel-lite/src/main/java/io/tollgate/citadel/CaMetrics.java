package io.tollgate.citadel;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.security.cert.X509Certificate;

/** The CA's metrics: issued by authentication kind, refused by reason, time to sign, CA expiry. */
public final class CaMetrics {
  final Counter issued;
  final Counter refused;
  final Histogram signSeconds;

  public CaMetrics(PrometheusRegistry registry, X509Certificate caCert) {
    issued =
        Counter.builder()
            .name("tollgate_ca_certificates_issued_total")
            .help(
                "Workload certificates issued, by how the caller authenticated (token or certificate)")
            .labelNames("auth")
            .register(registry);
    refused =
        Counter.builder()
            .name("tollgate_ca_requests_refused_total")
            .help("Certificate requests refused, by reason")
            .labelNames("reason")
            .register(registry);
    signSeconds =
        Histogram.builder()
            .name("tollgate_ca_sign_duration_seconds")
            .help("Time to check a CSR and sign its certificate")
            .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_ca_certificate_expiry_timestamp_seconds")
        .help("When the CA's signing certificate expires (Unix time)")
        .callback(cb -> cb.call(caCert.getNotAfter().getTime() / 1000.0))
        .register(registry);
  }
}
