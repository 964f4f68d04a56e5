package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.pilot.kube.Analyzer;
import io.tollgate.pilot.kube.Injector;
import io.tollgate.pilot.kube.Manifests;
import io.tollgate.pilot.xds.SidecarPorts;
import java.util.List;
import org.junit.jupiter.api.Test;

/** analyze and inject on a bookinfo-like manifest. */
class KubeToolsTest {
  static final String APP =
      """
      apiVersion: v1
      kind: Service
      metadata: {name: reviews, namespace: shop}
      spec:
        selector: {app: reviews}
        ports:
        - {port: 9080, name: http}
        - {port: 9443}
        - {port: 9090, name: metrics}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: reviews-canary, namespace: shop}
      spec:
        selector: {app: reviews}
        ports: [{port: 9080, name: http-canary}]
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: reviews-v1, namespace: shop}
      spec:
        selector: {matchLabels: {app: reviews}}
        template:
          metadata: {labels: {app: reviews, version: v1}}
          spec:
            containers: [{name: reviews, image: "example/reviews:1"}]
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: ratings, namespace: shop}
      spec:
        template:
          metadata: {labels: {tier: backend}}
          spec:
            containers: [{name: ratings, image: "example/ratings:1"}]
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: reviews, namespace: shop}
      spec:
        host: reviews
        subsets: [{name: v1, labels: {version: v1}}]
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: reviews, namespace: shop}
      spec:
        hosts: [reviews, details]
        http:
        - route:
          - {destination: {host: reviews, subset: v1}, weight: 70}
          - {destination: {host: reviews, subset: v3}, weight: 20}
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings, namespace: shop}
      data: {mode: fast}
      """;

  @Test
  void analyzeFindsEachMistakeWithItsPlaceAndAFix() throws Exception {
    List<Analyzer.Finding> findings = Analyzer.analyze(Manifests.parse("app.yaml", APP));
    assertThat(findings)
        .extracting(Analyzer.Finding::toString)
        .containsExactlyInAnyOrder(
            "ERROR app.yaml:1 Service shop/reviews: port 9443 has no name, so its protocol is unknown and it is treated as plain TCP"
                + " (no routing, no ext_authz). Fix: name it <protocol>[-<suffix>], e.g. http-web or grpc-api, or set appProtocol.",
            "ERROR app.yaml:1 Service shop/reviews: port 9090 is named 'metrics', which does not start with a protocol."
                + " Fix: rename it http-metrics (<protocol>[-<suffix>]) or set appProtocol.",
            "ERROR app.yaml:18 Deployment shop/reviews-v1: its pods are selected by more than one Service [reviews, reviews-canary];"
                + " a pod must belong to one Service for routing and identity to be unambiguous. Fix: narrow the selectors so that one"
                + " Service selects these pods.",
            "ERROR app.yaml:28 Deployment shop/ratings: the pod template has no 'app' label; telemetry and policies cannot name this"
                + " workload. Fix: add metadata.labels.app: ratings to the pod template.",
            "WARNING app.yaml:28 Deployment shop/ratings: the pod template has no 'version' label; subsets of a DestinationRule cannot"
                + " tell versions apart. Fix: add metadata.labels.version (e.g. v1) to the pod template.",
            "ERROR app.yaml:44 VirtualService shop/reviews: host details is neither a Service nor a ServiceEntry host in these manifests."
                + " Fix: fix the name, or add the Service or ServiceEntry it means.",
            "ERROR app.yaml:44 VirtualService shop/reviews: http[0].route[1] names subset 'v3' of reviews, which no DestinationRule defines"
                + " (defined: [v1]). Fix: add the subset to the DestinationRule for reviews, or fix its name.",
            "ERROR app.yaml:44 VirtualService shop/reviews: the weights of http[0] add up to 90. Fix: make them add up to 100.");
  }

  @Test
  void injectAddsProxyInitAndVolumeOnceAndLeavesOtherKindsAlone() throws Exception {
    List<JsonNode> once =
        Injector.inject(Manifests.parse("app.yaml", APP), Injector.Images.DEFAULT);
    String yaml = Manifests.write(once);
    JsonNode reviews = once.get(2).path("spec").path("template");
    assertThat(reviews.path("spec").path("containers"))
        .extracting(c -> c.path("name").asText())
        .containsExactly("reviews", Injector.PROXY);
    assertThat(reviews.path("spec").path("initContainers").get(0).path("name").asText())
        .isEqualTo(Injector.INIT);
    assertThat(reviews.path("spec").path("volumes").get(0).path("configMap").path("name").asText())
        .isEqualTo(Injector.BOOTSTRAP);
    assertThat(
            reviews.path("metadata").path("annotations").path(Injector.STATUS_ANNOTATION).asText())
        .isEqualTo("injected");
    assertThat(reviews.path("spec").path("containers").get(1).path("args").toString())
        .contains(
            "{node: {metadata: {TOLLGATE_SERVICE: \\\"reviews.shop\\\", TOLLGATE_INBOUND_PORT: \\\"15006\\\","
                + " TOLLGATE_OUTBOUND_PORT: \\\"15001\\\", TOLLGATE_INBOUND_ADDRESS: \\\"0.0.0.0\\\"}}}");
    assertThat(reviews.path("spec").path("initContainers").get(0).path("args"))
        .extracting(JsonNode::asText)
        .containsSequence("istio-iptables", "-p", "15001", "-z", "15006");
    // Services, Istio objects and the ConfigMap come out as they went in.
    List<Manifests.Doc> in = Manifests.parse("app.yaml", APP);
    for (int i : new int[] {0, 1, 4, 5, 6}) {
      assertThat(once.get(i)).isEqualTo(in.get(i).tree());
    }
    // Injecting the output again changes nothing.
    String twice =
        Manifests.write(
            Injector.inject(Manifests.parse("out.yaml", yaml), Injector.Images.DEFAULT));
    assertThat(twice).isEqualTo(yaml);
    assertThat(yaml.split("\n---\n")).hasSize(7);
  }

  @Test
  void aPodThatOptsOutIsNotInjected() throws Exception {
    String pod =
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: debug
          annotations: {sidecar.tollgate.io/inject: "false"}
        spec:
          containers: [{name: shell, image: busybox}]
        """;
    List<JsonNode> out = Injector.inject(Manifests.parse("pod.yaml", pod), Injector.Images.DEFAULT);
    assertThat(out.get(0)).isEqualTo(Manifests.parse("pod.yaml", pod).get(0).tree());
  }

  /**
   * The node metadata the injected proxy passes to Envoy with {@code --config-yaml}, as Envoy reads
   * it.
   */
  static com.google.protobuf.Struct injectedMetadata(JsonNode pod) throws Exception {
    JsonNode args = null;
    for (JsonNode c : pod.path("spec").path("containers")) {
      if (Injector.PROXY.equals(c.path("name").asText())) {
        args = c.path("args");
      }
    }
    assertThat(args).isNotNull();
    String yaml = null;
    for (int i = 0; i < args.size() - 1; i++) {
      if ("--config-yaml".equals(args.get(i).asText())) {
        yaml = args.get(i + 1).asText();
      }
    }
    assertThat(yaml).isNotNull();
    Object tree =
        new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
            .readValue(yaml, Object.class);
    io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.Builder b =
        io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.newBuilder();
    com.google.protobuf.util.JsonFormat.parser()
        .merge(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(tree), b);
    return b.getNode().getMetadata();
  }

  static List<String> iptables(JsonNode pod) {
    List<String> out = new java.util.ArrayList<>();
    pod.path("spec").path("initContainers").get(0).path("args").forEach(a -> out.add(a.asText()));
    return out;
  }

  @Test
  void theInjectedRedirectAndTheNodeMetadataNameTheSamePortsFromTheInjectorOrThePod()
      throws Exception {
    String pods =
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: plain, namespace: shop, labels: {app: reviews}}
        spec:
          containers: [{name: reviews, image: "example/reviews:1"}]
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: own
          namespace: shop
          labels: {app: reviews}
          annotations:
            sidecar.tollgate.io/inboundPort: "17006"
            sidecar.tollgate.io/outboundPort: "17001"
            sidecar.tollgate.io/inboundAddress: "::"
        spec:
          containers: [{name: reviews, image: "example/reviews:1"}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: nameless, namespace: shop}
        spec:
          containers: [{name: job, image: "example/job:1"}]
        """;
    SidecarPorts injector = new SidecarPorts(16006, 16001, "0.0.0.0");
    List<JsonNode> out =
        Injector.inject(Manifests.parse("pods.yaml", pods), Injector.Images.DEFAULT, injector);
    SidecarPorts own = new SidecarPorts(17006, 17001, "::");
    assertThat(SidecarPorts.fromMetadata(injectedMetadata(out.get(0)), SidecarPorts.DEFAULT))
        .isEqualTo(injector);
    assertThat(
            injectedMetadata(out.get(0))
                .getFieldsOrThrow(PilotServer.SERVICE_METADATA)
                .getStringValue())
        .isEqualTo("reviews.shop");
    assertThat(iptables(out.get(0))).containsSequence("-p", "16001", "-z", "16006");
    assertThat(SidecarPorts.fromMetadata(injectedMetadata(out.get(1)), SidecarPorts.DEFAULT))
        .isEqualTo(own);
    assertThat(iptables(out.get(1))).containsSequence("-p", "17001", "-z", "17006");
    // No service to name, but the ports still go with the proxy.
    assertThat(injectedMetadata(out.get(2)).containsFields(PilotServer.SERVICE_METADATA)).isFalse();
    assertThat(SidecarPorts.fromMetadata(injectedMetadata(out.get(2)), SidecarPorts.DEFAULT))
        .isEqualTo(injector);

    // Injecting again, with other ports even, changes nothing.
    String yaml = Manifests.write(out);
    assertThat(
            Manifests.write(
                Injector.inject(
                    Manifests.parse("out.yaml", yaml),
                    Injector.Images.DEFAULT,
                    SidecarPorts.DEFAULT)))
        .isEqualTo(yaml);
  }

  @Test
  void aPodWhosePortAnnotationIsNotAPortIsRefusedWithItsPlaceAndLeftAlone() throws Exception {
    String pod =
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: typo
          namespace: shop
          annotations: {sidecar.tollgate.io/inboundPort: "15006x"}
        spec:
          containers: [{name: reviews, image: "example/reviews:1"}]
        """;
    List<Manifests.Doc> docs = Manifests.parse("pod.yaml", pod);
    assertThatThrownBy(() -> Injector.inject(docs, Injector.Images.DEFAULT, SidecarPorts.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pod.yaml:1 Pod shop/typo: sidecar.tollgate.io/inboundPort: '15006x' is not a port (1-65535)");
    assertThat(docs.get(0).tree()).isEqualTo(Manifests.parse("pod.yaml", pod).get(0).tree());
    String address =
        pod.replace(
            "sidecar.tollgate.io/inboundPort: \"15006x\"",
            "sidecar.tollgate.io/inboundAddress: pod-ip");
    assertThatThrownBy(
            () ->
                Injector.inject(
                    Manifests.parse("pod.yaml", address),
                    Injector.Images.DEFAULT,
                    SidecarPorts.DEFAULT))
        .hasMessageEndingWith(
            "sidecar.tollgate.io/inboundAddress: 'pod-ip' is not an IP address (e.g. 0.0.0.0, :: or the pod's IP)");
  }
}
