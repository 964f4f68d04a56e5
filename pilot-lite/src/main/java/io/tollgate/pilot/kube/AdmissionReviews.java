package io.tollgate.pilot.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.pilot.xds.SidecarPorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AdmissionReviews} answers the injection webhook's requests: the body of one {@code POST
 * /inject} in, the HTTP answer out, with no server around it, so that the answer to any body can be
 * tested (and fuzzed) without TLS and sockets. {@link InjectionWebhook} serves it.
 *
 * <p>An AdmissionReview of a pod gets 200 and a review response: allowed with a JSONPatch when the
 * sidecar is injected, allowed unchanged when the pod opts out or has it already, refused ({@code
 * allowed: false}, code 400, the reason) when its port annotations are not ports or addresses. A
 * body that is not an AdmissionReview, or whose object is not shaped like a pod (annotations that
 * are a list, containers that are a string), gets 400 with the reason. Thread-safe.
 */
final class AdmissionReviews {
  private static final Logger log = LoggerFactory.getLogger(AdmissionReviews.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The largest body read. */
  static final int MAX_BODY = 4 * 1024 * 1024;

  /**
   * One answer.
   *
   * @param result what became of the review, for the metric: {@code injected}, {@code unchanged},
   *     {@code refused} or {@code invalid}
   */
  record Answer(int status, String contentType, byte[] body, String result) {}

  private final Injector.Images images;
  private final SidecarPorts ports;

  /** {@code ports}: those of pods whose annotations name none. */
  AdmissionReviews(Injector.Images images, SidecarPorts ports) {
    this.images = images;
    this.ports = ports;
  }

  /**
   * The answer to {@code body} (at most {@link #MAX_BODY} + 1 bytes of it), from {@code caller}
   * (for the log).
   */
  Answer answer(byte[] body, Object caller) throws IOException {
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
      log.warn("injection webhook: refused a request from {}: {}", caller, e.getMessage());
      return invalid(e.getMessage());
    }
    JsonNode request = review.path("request");
    ObjectNode pod = (ObjectNode) request.path("object").deepCopy();
    String namespace =
        request.path("namespace").asText(pod.path("metadata").path("namespace").asText("default"));
    ObjectNode response =
        JSON.createObjectNode().put("uid", request.path("uid").asText()).put("allowed", true);
    String result;
    try {
      boolean injected =
          "Pod".equals(pod.path("kind").asText("Pod"))
              && Injector.injectPod(pod, namespace, images, ports);
      result = injected ? "injected" : "unchanged";
    } catch (UnsupportedOperationException e) {
      // Jackson's: a field the injector adds to (metadata, annotations, spec, the container
      // lists) is not an object or a list. Kubernetes sends pods as its schema has them, so this
      // body did not come from it.
      log.warn("injection webhook: refused a request from {}: {}", caller, e.getMessage());
      return invalid("request.object is not a Pod: a field has the wrong type");
    } catch (IllegalArgumentException e) {
      log.warn("injection webhook: refused pod {}/{}: {}", namespace, name(pod), e.getMessage());
      response
          .put("allowed", false)
          .putObject("status")
          .put("code", 400)
          .put("message", "tollgate sidecar injection: " + e.getMessage());
      result = "refused";
    }
    if (result.equals("injected")) {
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
      log.info("injected the sidecar into pod {}/{}", namespace, name(pod));
    }
    ObjectNode answer =
        JSON.createObjectNode()
            .put("apiVersion", "admission.k8s.io/v1")
            .put("kind", "AdmissionReview");
    answer.set("response", response);
    return new Answer(200, "application/json", JSON.writeValueAsBytes(answer), result);
  }

  private static Answer invalid(String why) {
    byte[] body = ("not an admission review: " + why + "\n").getBytes(StandardCharsets.UTF_8);
    return new Answer(400, "text/plain", body, "invalid");
  }

  /** The pod's name, or its generateName when it has none yet. */
  private static String name(JsonNode pod) {
    return pod.path("metadata")
        .path("name")
        .asText(pod.path("metadata").path("generateName").asText("?"));
  }
}
