package io.tollgate.pilot.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Base64;
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
 * AdmissionReview gets 400 with the reason; the webhook keeps serving.
 */
public final class InjectionWebhook implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(InjectionWebhook.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_BODY = 4 * 1024 * 1024;

  private final HttpsServer server;
  private final ExecutorService executor;
  private final Injector.Images images;
  private final SidecarPorts ports;
  private final Counter reviews;

  private InjectionWebhook(
      HttpsServer server,
      ExecutorService executor,
      Injector.Images images,
      SidecarPorts ports,
      Counter reviews) {
    this.server = server;
    this.executor = executor;
    this.images = images;
    this.ports = ports;
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
      body = in.readNBytes(MAX_BODY + 1);
    }
    JsonNode review;
    try {
      if (body.length > MAX_BODY) {
        throw new IllegalArgumentException("the request is larger than " + MAX_BODY + " bytes");
      }
      review = JSON.readTree(body);
      if (review == null
          || !"AdmissionReview".equals(review.path("kind").asText())
          || !review.path("request").path("object").isObject()
          || review.path("request").path("uid").asText("").isEmpty()) {
        throw new IllegalArgumentException(
            "expected an AdmissionReview with request.uid and request.object");
      }
    } catch (IOException | IllegalArgumentException e) {
      reviews.labelValues("invalid").inc();
      log.warn(
          "injection webhook: refused a request from {}: {}",
          ex.getRemoteAddress(),
          e.getMessage());
      send(
          ex,
          400,
          "text/plain",
          ("not an admission review: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
      return;
    }
    JsonNode request = review.path("request");
    ObjectNode pod = (ObjectNode) request.path("object").deepCopy();
    String namespace =
        request.path("namespace").asText(pod.path("metadata").path("namespace").asText("default"));
    ObjectNode response =
        JSON.createObjectNode().put("uid", request.path("uid").asText()).put("allowed", true);
    boolean injected;
    try {
      injected =
          "Pod".equals(pod.path("kind").asText("Pod"))
              && Injector.injectPod(pod, namespace, images, ports);
    } catch (IllegalArgumentException e) {
      reviews.labelValues("refused").inc();
      log.warn("injection webhook: refused pod {}/{}: {}", namespace, name(pod), e.getMessage());
      response
          .put("allowed", false)
          .putObject("status")
          .put("code", 400)
          .put("message", "tollgate sidecar injection: " + e.getMessage());
      injected = false;
    }
    if (injected) {
      ArrayNode patch = JSON.createArrayNode();
      boolean hadAnnotations = request.path("object").path("metadata").has("annotations");
      patch
          .addObject()
          .put("op", hadAnnotations ? "replace" : "add")
          .put("path", "/metadata/annotations")
          .set("value", pod.path("metadata").path("annotations"));
      patch.addObject().put("op", "replace").put("path", "/spec").set("value", pod.path("spec"));
      response
          .put("patchType", "JSONPatch")
          .put("patch", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(patch)));
      reviews.labelValues("injected").inc();
      log.info("injected the sidecar into pod {}/{}", namespace, name(pod));
    } else if (response.path("allowed").asBoolean()) {
      reviews.labelValues("unchanged").inc();
    }
    ObjectNode answer =
        JSON.createObjectNode()
            .put("apiVersion", "admission.k8s.io/v1")
            .put("kind", "AdmissionReview");
    answer.set("response", response);
    send(ex, 200, "application/json", JSON.writeValueAsBytes(answer));
  }

  /** The pod's name, or its generateName when it has none yet. */
  private static String name(JsonNode pod) {
    return pod.path("metadata")
        .path("name")
        .asText(pod.path("metadata").path("generateName").asText("?"));
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
