package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.pilot.kube.Analyzer;
import io.tollgate.pilot.kube.Injector;
import io.tollgate.pilot.kube.Manifests;
import io.tollgate.pilot.xds.SidecarPorts;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What inject writes keeps what it read: documents it passes through come out as written, and the
 * ones it injects keep their strings strings; analyze names a bad container port at its line.
 */
class ManifestFidelityTest {
  /** A ConfigMap with quoted numbers, anchors and aliases; a Deployment to inject; a Secret. */
  static final String MANIFEST =
      """
      # settings shared by the documents below
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: settings   # kept, with this comment
      data:
        port: "8080"
        replicas: '3'
        defaults: &defaults "on"
        again: *defaults
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: shop}
      spec:
        template:
          metadata:
            labels: &labels {app: web, version: v1}
          spec:
            containers:
            - name: web
              image: web:1
              env:
              - {name: PORT, value: "8080"}
              - {name: MODE, value: &mode "true"}
              - {name: MODE_AGAIN, value: *mode}
              ports:
              - {containerPort: 8080, name: http-web}
      ---
      apiVersion: v1
      kind: Secret
      metadata: {name: token, labels: &secret {app: web}, annotations: *secret}
      stringData: {id: "0012"}
      """;

  static final String PASSED_THROUGH_CONFIG_MAP = MANIFEST.substring(0, MANIFEST.indexOf("---\n"));
  static final String PASSED_THROUGH_SECRET = MANIFEST.substring(MANIFEST.lastIndexOf("---\n") + 4);

  @Test
  void documentsInjectPassesThroughComeOutAsWrittenAndInjectedOnesKeepTheirTypes()
      throws Exception {
    String out =
        Manifests.writeDocs(
            Injector.injectDocs(
                Manifests.parse("app.yaml", MANIFEST),
                Injector.Images.DEFAULT,
                SidecarPorts.DEFAULT));
    String[] docs = out.split("(?m)^---\n");
    assertThat(docs).hasSize(3);
    // Passed through byte for byte: comments, quotes, anchors and aliases as written.
    assertThat(docs[0]).isEqualTo(PASSED_THROUGH_CONFIG_MAP);
    assertThat(docs[2]).isEqualTo(PASSED_THROUGH_SECRET);

    // The injected Deployment: aliases expanded to the values they name, strings still strings.
    List<Manifests.Doc> back = Manifests.parse("out.yaml", out);
    JsonNode pod = back.get(1).tree().path("spec").path("template");
    JsonNode env = pod.path("spec").path("containers").get(0).path("env");
    assertThat(env.get(0).path("value").isTextual()).as("PORT \"8080\"").isTrue();
    assertThat(env.get(0).path("value").asText()).isEqualTo("8080");
    assertThat(env.get(1).path("value").isTextual()).as("MODE \"true\"").isTrue();
    assertThat(env.get(2).path("value").asText()).as("alias expanded").isEqualTo("true");
    assertThat(env.get(2).path("value").isTextual()).isTrue();
    assertThat(pod.path("metadata").path("labels").path("app").asText()).isEqualTo("web");
    JsonNode init = pod.path("spec").path("initContainers").get(0);
    assertThat(init.path("name").asText()).isEqualTo(Injector.INIT);
    for (JsonNode arg : init.path("args")) {
      assertThat(arg.isTextual()).as("init arg %s", arg).isTrue();
    }
    assertThat(init.path("args").toString()).contains("\"15001\"", "\"15006\"", "\"1337\"");
    assertThat(docs[1]).contains("- \"15001\"").doesNotContain("- 15001\n");

    // The Secret's alias, through the reader, is the value its anchor names.
    assertThat(back.get(2).tree().path("metadata").path("annotations").path("app").asText())
        .isEqualTo("web");
    assertThat(back.get(2).tree().path("stringData").path("id").isTextual()).isTrue();

    // Injecting the output again changes nothing.
    String twice =
        Manifests.writeDocs(
            Injector.injectDocs(back, Injector.Images.DEFAULT, SidecarPorts.DEFAULT));
    assertThat(twice).isEqualTo(out);
  }

  @Test
  void analyzeNamesAContainerPortKubernetesWouldRefuseAtItsLine() throws Exception {
    String manifest =
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          template:
            metadata:
              labels: {app: web, version: v1}
            spec:
              containers:
              - name: web
                ports:
                - containerPort: 8080
                  name: http-web
                - containerPort: 8081
                  name: web_8081
                - containerPort: 9090
                  name: metrics
                - containerPort: 9091
                  name: a-very-long-port-name
                - containerPort: 9092
                  name: "1234"
        """;
    List<Analyzer.Finding> findings = Analyzer.analyze(Manifests.parse("web.yaml", manifest));
    assertThat(findings)
        .extracting(Analyzer.Finding::line)
        .as("http-web and metrics (a valid Kubernetes name) pass")
        .containsExactly(15, 19, 21);
    assertThat(findings.get(0).toString())
        .isEqualTo(
            "ERROR web.yaml:15 Deployment shop/web: container 'web' port 8081 is named 'web_8081',"
                + " which is neither <protocol>[-<suffix>] nor a valid Kubernetes port name (at most"
                + " 15 characters of a-z, 0-9 and '-', a letter among them, no '-' at either end or"
                + " twice in a row); Kubernetes refuses it. Fix: rename it, e.g. http-web-8081.");
  }
}
