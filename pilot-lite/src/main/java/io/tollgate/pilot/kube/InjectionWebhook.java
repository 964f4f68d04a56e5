package io.tollgate.pilot.kube;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.pilot.xds.SidecarPorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Automatic sidecar injection: a mutating admission webhook ({@code admission.k8s.io/v1}
 * AdmissionReview over HTTPS at {@code POST /inject}). Kubernetes sends it the pods created in
 * namespaces labelled {@code tollgate-injection=enabled} (the MutatingWebhookConfiguration's
 * namespaceSelector); it answers with a JSONPatch that makes the pod what {@link Injector} makes of
 * a pod template, with the webhook's sidecar ports unless the pod's annotations name its own. A pod
 * that opts out or already has the proxy is allowed unchanged; a pod whose port annotations are not
 * ports or addresses is refused ({@code allowed: false}, code 400, the reason), since a sidecar
 * whose listeners and redirect disagree would drop its traffic. A request that is not an
 * AdmissionReview gets 400 with the reason; the webhook keeps serving. The answers come from {@link
 * AdmissionReviews}; this class is the HTTPS server around it.
 */
public final class InjectionWebhook implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InjectionWebhook.class);

  private final HttpsServer server;
  private final ExecutorService executor;
  private final AdmissionReviews answers;
  private final Counter reviews;

  private InjectionWebhook(
      HttpsServer server,
      ExecutorService executor,
      Injector.Images images,
      SidecarPorts ports,
      Counter reviews) {
    this.server = server;
    this.executor = executor;
    this.answers = new AdmissionReviews(images, ports);
    this.reviews = reviews;
  }

  public static InjectionWebhook start(
      InetSocketAddress address,
      SSLContext tls,
      Injector.Images images,
      PrometheusRegistry registry)
      throws IOException {
    return start(address, tls, images, SidecarPorts.DEFAULT, registry);
  }

  /** {@code ports}: those of pods whose annotations name none. */
  public static InjectionWebhook start(
      InetSocketAddress address,
      SSLContext tls,
      Injector.Images images,
      SidecarPorts ports,
      PrometheusRegistry registry)
      throws IOException {
    HttpsServer server = HttpsServer.create(address, 64);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    ExecutorService executor =
        Executors.newFixedThreadPool(2, DaemonThreads.named("tollgate-injection-webhook"));
    server.setExecutor(executor);
    Counter reviews =
        Counter.builder()
            .name("tollgate_injection_reviews")
            .help(
                "Admission reviews answered by the injection webhook, by result (injected, unchanged, refused, invalid)")
            .labelNames("result")
            .register(registry);
    InjectionWebhook webhook = new InjectionWebhook(server, executor, images, ports, reviews);
    server.createContext("/inject", webhook::handle);
    server.createContext(
        "/healthz", ex -> send(ex, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8)));
    server.start();
    log.info("injection webhook on https://{}:{}/inject", address.getHostString(), webhook.port());
    return webhook;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    if (!"POST".equals(ex.getRequestMethod())) {
      send(
          ex,
          405,
          "text/plain",
          "POST an admission.k8s.io/v1 AdmissionReview\n".getBytes(StandardCharsets.UTF_8));
      return;
    }
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readNBytes(AdmissionReviews.MAX_BODY + 1);
    }
    AdmissionReviews.Answer answer = answers.answer(body, ex.getRemoteAddress());
    reviews.labelValues(answer.result()).inc();
    send(ex, answer.status(), answer.contentType(), answer.body());
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
