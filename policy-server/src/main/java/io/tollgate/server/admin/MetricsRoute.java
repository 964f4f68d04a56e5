package io.tollgate.server.admin;

import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.server.http.HttpCall;
import io.tollgate.server.http.HttpReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code MetricsRoute} is {@code /metrics}: the Prometheus client's own scrape handler (format by
 * {@code Accept}, gzip, {@code name[]} filters, {@code debug}), seen through an {@link HttpCall}
 * and answered as an {@link HttpReply}. Thread-safe.
 */
final class MetricsRoute {
  private final PrometheusScrapeHandler scrape;

  MetricsRoute(PrometheusRegistry registry) {
    this.scrape = new PrometheusScrapeHandler(registry);
  }

  HttpReply handle(HttpCall call) throws IOException {
    Exchange ex = new Exchange(call);
    scrape.handleRequest(ex);
    if (ex.status == 0) {
      throw new IOException("the Prometheus scrape handler sent no answer");
    }
    HttpReply r = HttpReply.status(ex.status).body(null, ex.body.toByteArray());
    ex.headers.forEach(r::set);
    return r;
  }

  /** One scrape: the request read from the call, the answer collected in memory. */
  private static final class Exchange
      implements PrometheusHttpExchange, PrometheusHttpRequest, PrometheusHttpResponse {
    private final HttpCall call;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status;

    Exchange(HttpCall call) {
      this.call = call;
    }

    @Override
    public PrometheusHttpRequest getRequest() {
      return this;
    }

    @Override
    public PrometheusHttpResponse getResponse() {
      return this;
    }

    @Override
    public void handleException(IOException e) throws IOException {
      throw e;
    }

    @Override
    public void handleException(RuntimeException e) {
      throw e;
    }

    @Override
    public void close() {}

    @Override
    public String getQueryString() {
      return call.rawQuery();
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
      return Collections.enumeration(call.headerValues(name));
    }

    @Override
    public String getMethod() {
      return call.method();
    }

    @Override
    public String getRequestPath() {
      return call.rawPath();
    }

    @Override
    public void setHeader(String name, String value) {
      headers.put(name, value);
    }

    @Override
    public OutputStream sendHeadersAndGetBody(int statusCode, int contentLength) {
      status = statusCode;
      return body;
    }
  }
}
