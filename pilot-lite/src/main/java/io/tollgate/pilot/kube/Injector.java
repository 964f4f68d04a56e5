package io.tollgate.pilot.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.pilot.PilotServer;
import io.tollgate.pilot.xds.SidecarPorts;
import java.util.ArrayList;
import java.util.List;

/**
 * Sidecar injection, as {@code istioctl kube-inject} does it, for every pod template: the {@value
 * #PROXY} container (Envoy with {@code deploy/envoy/bootstrap.yaml} from the ConfigMap {@value
 * #BOOTSTRAP}, its node naming the pod, the ServiceEntry host it serves and the ports it listens
 * on), the {@value #INIT} init container that redirects the pod's traffic through it (inbound to
 * the inbound port, by default 15006, outbound to the outbound port, by default 15001, the proxy's
 * own traffic by its user 1337 exempt), and the bootstrap volume. The ports are the injector's
 * ({@link SidecarPorts}), or a pod's own from the annotations {@value #INBOUND_PORT_ANNOTATION},
 * {@value #OUTBOUND_PORT_ANNOTATION} and {@value #INBOUND_ADDRESS_ANNOTATION}; the same values go
 * to the redirect and to the node metadata pilot-lite builds the listeners from, so the two agree.
 * Pod templates that already have the proxy, or say {@code sidecar.tollgate.io/inject: "false"},
 * are left alone, so injecting twice changes nothing; other kinds pass through unchanged.
 */
public final class Injector {
  public static final String PROXY = "tollgate-proxy";
  public static final String INIT = "tollgate-init";
  public static final String BOOTSTRAP = "tollgate-bootstrap";
  public static final String INJECT_ANNOTATION = "sidecar.tollgate.io/inject";
  public static final String STATUS_ANNOTATION = "sidecar.tollgate.io/status";
  public static final String SERVICE_ANNOTATION = "sidecar.tollgate.io/service";
  public static final String INBOUND_PORT_ANNOTATION = "sidecar.tollgate.io/inboundPort";
  public static final String OUTBOUND_PORT_ANNOTATION = "sidecar.tollgate.io/outboundPort";
  public static final String INBOUND_ADDRESS_ANNOTATION = "sidecar.tollgate.io/inboundAddress";
  static final int PROXY_UID = 1337;

  /**
   * The images: Envoy for the proxy; Istio's proxyv2 for its {@code istio-iptables} redirect tool.
   */
  public record Images(String proxy, String init) {
    public static final Images DEFAULT =
        new Images("envoyproxy/envoy:v1.34.1", "docker.io/istio/proxyv2:1.24.2");
  }

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private Injector() {}

  /**
   * Injects every pod template in {@code docs} with the default ports; returns the documents,
   * changed in place.
   */
  public static List<JsonNode> inject(List<Manifests.Doc> docs, Images images) {
    return inject(docs, images, SidecarPorts.DEFAULT);
  }

  /**
   * Injects every pod template in {@code docs}, with {@code ports} unless a pod's annotations say
   * otherwise; returns the documents, changed in place. Throws {@link IllegalArgumentException}
   * naming the object when an annotation is not a port or an address.
   */
  public static List<JsonNode> inject(List<Manifests.Doc> docs, Images images, SidecarPorts ports) {
    return injectDocs(docs, images, ports).stream().map(Manifests.Doc::tree).toList();
  }

  /**
   * {@link #inject(List, Images, SidecarPorts)}, keeping the documents: those injected are marked
   * {@linkplain Manifests.Doc#changed() changed}, every other one is returned as it came, so that
   * {@link Manifests#writeDocs} writes it back exactly as it was written.
   */
  public static List<Manifests.Doc> injectDocs(
      List<Manifests.Doc> docs, Images images, SidecarPorts ports) {
    List<Manifests.Doc> out = new ArrayList<>();
    for (Manifests.Doc d : docs) {
      boolean injected = false;
      if (d.tree() != null) {
        ObjectNode pod = Manifests.podTemplate(d.tree());
        if (pod != null) {
          try {
            injected = injectPod(pod, d.namespace(), images, ports);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                d.file() + ":" + d.line() + " " + d.describe() + ": " + e.getMessage(), e);
          }
        }
      }
      out.add(injected ? d.changed() : d);
    }
    return out;
  }

  /**
   * Injects one pod (or pod template) with the default ports; returns false when it was left alone.
   */
  public static boolean injectPod(ObjectNode pod, String namespace, Images images) {
    return injectPod(pod, namespace, images, SidecarPorts.DEFAULT);
  }

  /**
   * Injects one pod (or pod template) with {@code ports}, or those its annotations name; returns
   * false when it was left alone. Throws {@link IllegalArgumentException} when an annotation is not
   * a port or an address; the pod is then unchanged.
   */
  public static boolean injectPod(
      ObjectNode pod, String namespace, Images images, SidecarPorts ports) {
    ObjectNode metadata = pod.withObjectProperty("metadata");
    ObjectNode annotations = metadata.withObjectProperty("annotations");
    ObjectNode spec = pod.withObjectProperty("spec");
    if ("false".equals(annotations.path(INJECT_ANNOTATION).asText())
        || hasContainer(spec.path("containers"), PROXY)) {
      if (annotations.isEmpty()) {
        metadata.remove("annotations");
      }
      return false;
    }
    SidecarPorts own;
    try {
      own = podPorts(annotations, ports);
    } catch (IllegalArgumentException e) {
      if (annotations.isEmpty()) {
        metadata.remove("annotations");
      }
      throw e;
    }
    String app = metadata.path("labels").path("app").asText("");
    String service =
        annotations.path(SERVICE_ANNOTATION).asText(app.isEmpty() ? "" : app + "." + namespace);
    spec.withArray("initContainers").insert(0, initContainer(images, own));
    spec.withArray("containers").add(proxyContainer(images, app, service, own));
    spec.withArray("volumes")
        .add(
            JSON.objectNode()
                .put("name", BOOTSTRAP)
                .set("configMap", JSON.objectNode().put("name", BOOTSTRAP)));
    annotations.put(STATUS_ANNOTATION, "injected");
    return true;
  }

  private static SidecarPorts podPorts(ObjectNode annotations, SidecarPorts ports) {
    JsonNode in = annotations.get(INBOUND_PORT_ANNOTATION);
    JsonNode out = annotations.get(OUTBOUND_PORT_ANNOTATION);
    JsonNode address = annotations.get(INBOUND_ADDRESS_ANNOTATION);
    return new SidecarPorts(
        in == null ? ports.inboundPort() : SidecarPorts.port(INBOUND_PORT_ANNOTATION, in.asText()),
        out == null
            ? ports.outboundPort()
            : SidecarPorts.port(OUTBOUND_PORT_ANNOTATION, out.asText()),
        address == null
            ? ports.inboundAddress()
            : SidecarPorts.address(INBOUND_ADDRESS_ANNOTATION, address.asText()));
  }

  private static boolean hasContainer(JsonNode containers, String name) {
    for (JsonNode c : containers) {
      if (name.equals(c.path("name").asText())) {
        return true;
      }
    }
    return false;
  }

  private static ObjectNode proxyContainer(
      Images images, String app, String service, SidecarPorts ports) {
    ObjectNode c = JSON.objectNode().put("name", PROXY).put("image", images.proxy());
    ArrayNode args = c.putArray("args");
    args.add("-c")
        .add("/etc/tollgate/bootstrap.yaml")
        .add("--service-node")
        .add(
            "sidecar~$(INSTANCE_IP)~$(POD_NAME).$(POD_NAMESPACE)~$(POD_NAMESPACE).svc.cluster.local")
        .add("--service-cluster")
        .add(app.isEmpty() ? "unknown" : app);
    // Envoy merges this into the bootstrap's node metadata; strings, as Istio's metadata is.
    StringBuilder metadata = new StringBuilder();
    if (!service.isEmpty()) {
      metadata
          .append(PilotServer.SERVICE_METADATA)
          .append(": ")
          .append(quoted(service))
          .append(", ");
    }
    metadata
        .append(SidecarPorts.INBOUND_PORT)
        .append(": \"")
        .append(ports.inboundPort())
        .append("\", ")
        .append(SidecarPorts.OUTBOUND_PORT)
        .append(": \"")
        .append(ports.outboundPort())
        .append("\", ")
        .append(SidecarPorts.INBOUND_ADDRESS)
        .append(": \"")
        .append(ports.inboundAddress())
        .append('"');
    args.add("--config-yaml").add("{node: {metadata: {" + metadata + "}}}");
    ArrayNode env = c.putArray("env");
    env.add(fieldEnv("POD_NAME", "metadata.name"));
    env.add(fieldEnv("POD_NAMESPACE", "metadata.namespace"));
    env.add(fieldEnv("INSTANCE_IP", "status.podIP"));
    c.putArray("ports")
        .add(JSON.objectNode().put("name", "http-envoy-prom").put("containerPort", 15000));
    c.set(
        "securityContext",
        JSON.objectNode()
            .put("runAsUser", PROXY_UID)
            .put("runAsGroup", PROXY_UID)
            .put("runAsNonRoot", true)
            .put("allowPrivilegeEscalation", false)
            .put("readOnlyRootFilesystem", true));
    c.set(
        "resources",
        JSON.objectNode()
            .set("requests", JSON.objectNode().put("cpu", "100m").put("memory", "128Mi")));
    c.putArray("volumeMounts")
        .add(
            JSON.objectNode()
                .put("name", BOOTSTRAP)
                .put("mountPath", "/etc/tollgate")
                .put("readOnly", true));
    return c;
  }

  /** A YAML double-quoted scalar. */
  private static String quoted(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static ObjectNode initContainer(Images images, SidecarPorts ports) {
    ObjectNode c = JSON.objectNode().put("name", INIT).put("image", images.init());
    ArrayNode args = c.putArray("args");
    for (String a :
        new String[] {
          "istio-iptables",
          "-p",
          String.valueOf(ports.outboundPort()),
          "-z",
          String.valueOf(ports.inboundPort()),
          "-u",
          String.valueOf(PROXY_UID),
          "-m",
          "REDIRECT",
          "-i",
          "*",
          "-b",
          "*",
          "-d",
          "15000"
        }) {
      args.add(a);
    }
    c.set(
        "securityContext",
        JSON.objectNode()
            .put("runAsUser", 0)
            .put("runAsNonRoot", false)
            .set(
                "capabilities",
                JSON.objectNode().set("add", JSON.arrayNode().add("NET_ADMIN").add("NET_RAW"))));
    return c;
  }

  private static ObjectNode fieldEnv(String name, String path) {
    return JSON.objectNode()
        .put("name", name)
        .set(
            "valueFrom",
            JSON.objectNode().set("fieldRef", JSON.objectNode().put("fieldPath", path)));
  }
}
