package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.pilot.kube.Analyzer;
import io.tollgate.pilot.kube.Injector;
import io.tollgate.pilot.kube.Manifests;
import java.util.List;
import org.junit.jupiter.api.Test;

/** analyze and inject on a bookinfo-like manifest. */
class KubeToolsTest {
  static final String APP = """
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
    assertThat(findings).extracting(Analyzer.Finding::toString).containsExactlyInAnyOrder(
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
    List<JsonNode> once = Injector.inject(Manifests.parse("app.yaml", APP), Injector.Images.DEFAULT);
    String yaml = Manifests.write(once);
    JsonNode reviews = once.get(2).path("spec").path("template");
    assertThat(reviews.path("spec").path("containers")).extracting(c -> c.path("name").asText())
        .containsExactly("reviews", Injector.PROXY);
    assertThat(reviews.path("spec").path("initContainers").get(0).path("name").asText()).isEqualTo(Injector.INIT);
    assertThat(reviews.path("spec").path("volumes").get(0).path("configMap").path("name").asText()).isEqualTo(Injector.BOOTSTRAP);
    assertThat(reviews.path("metadata").path("annotations").path(Injector.STATUS_ANNOTATION).asText()).isEqualTo("injected");
    assertThat(reviews.path("spec").path("containers").get(1).path("args").toString())
        .contains("{node: {metadata: {TOLLGATE_SERVICE: \\\"reviews.shop\\\"}}}");
    // Services, Istio objects and the ConfigMap come out as they went in.
    List<Manifests.Doc> in = Manifests.parse("app.yaml", APP);
    for (int i : new int[] {0, 1, 4, 5, 6}) {
      assertThat(once.get(i)).isEqualTo(in.get(i).tree());
    }
    // Injecting the output again changes nothing.
    String twice = Manifests.write(Injector.inject(Manifests.parse("out.yaml", yaml), Injector.Images.DEFAULT));
    assertThat(twice).isEqualTo(yaml);
    assertThat(yaml.split("\n---\n")).hasSize(7);
  }

  @Test
  void aPodThatOptsOutIsNotInjected() throws Exception {
    String pod = """
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
}
