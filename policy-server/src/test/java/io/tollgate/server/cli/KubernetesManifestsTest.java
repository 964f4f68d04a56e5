package io.tollgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/kubernetes/*.yaml read into the Kubernetes model classes: every object is a kind the model
 * knows, no field falls outside it (the models keep unknown fields aside instead of failing, so
 * they are looked for), and the pieces reference each other consistently.
 */
class KubernetesManifestsTest {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final Map<String, Class<? extends HasMetadata>> KINDS =
      Map.of(
          "Namespace",
          Namespace.class,
          "Service",
          Service.class,
          "ConfigMap",
          ConfigMap.class,
          "Deployment",
          Deployment.class,
          "StatefulSet",
          StatefulSet.class,
          "MutatingWebhookConfiguration",
          MutatingWebhookConfiguration.class);

  static List<HasMetadata> load() throws Exception {
    List<HasMetadata> out = new ArrayList<>();
    try (var files = Files.list(Path.of("..", "deploy", "kubernetes"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        for (JsonNode doc :
            YAML.readerFor(JsonNode.class).readValues(f.toFile()).readAll().stream()
                .map(JsonNode.class::cast)
                .toList()) {
          Class<? extends HasMetadata> type = KINDS.get(doc.path("kind").asText());
          assertThat(type).as("kind %s in %s", doc.path("kind").asText(), f).isNotNull();
          HasMetadata object = YAML.treeToValue(doc, type);
          List<String> extras = new ArrayList<>();
          extraProperties(object, doc.path("kind").asText(), extras);
          assertThat(extras)
              .as(
                  "fields the model does not know in %s %s",
                  doc.path("kind").asText(), object.getMetadata().getName())
              .isEmpty();
          out.add(object);
        }
      }
    }
    return out;
  }

  /**
   * Fields the model put aside as additional properties (it does not fail on them), anywhere in
   * {@code o}.
   */
  static void extraProperties(Object o, String at, List<String> out) throws Exception {
    if (o instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        extraProperties(list.get(i), at + "[" + i + "]", out);
      }
      return;
    }
    if (o == null || !o.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (var m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0
          || !m.getName().startsWith("get")
          || m.getName().equals("getClass")) {
        continue;
      }
      Object value = m.invoke(o);
      if (m.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          out.add(at + " " + extra.keySet());
        }
      } else {
        extraProperties(value, at + "." + m.getName().substring(3), out);
      }
    }
  }

  @Test
  void theManifestsAreValidKubernetesObjectsThatFitTogether() throws Exception {
    List<HasMetadata> objects = load();
    Deployment policy = find(objects, Deployment.class, "tollgate-policy");
    assertThat(policy.getSpec().getReplicas()).isEqualTo(3);
    assertThat(args(policy.getSpec().getTemplate()))
        .contains(
            "--quota-kubernetes-dns=tollgate-policy-members.tollgate-system.svc.cluster.local");
    Service members = find(objects, Service.class, "tollgate-policy-members");
    assertThat(members.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(members.getSpec().getSelector())
        .isEqualTo(
            policy.getSpec().getTemplate().getMetadata().getLabels().entrySet().stream()
                .filter(e -> e.getKey().equals("app"))
                .collect(
                    java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));

    MutatingWebhookConfiguration hook =
        find(objects, MutatingWebhookConfiguration.class, "tollgate-sidecar-injector");
    var webhook = hook.getWebhooks().get(0);
    assertThat(webhook.getNamespaceSelector().getMatchLabels())
        .containsEntry("tollgate-injection", "enabled");
    assertThat(webhook.getAdmissionReviewVersions()).containsExactly("v1");
    assertThat(webhook.getClientConfig().getService().getPath()).isEqualTo("/inject");
    Service pilotService =
        find(objects, Service.class, webhook.getClientConfig().getService().getName());
    var https =
        pilotService.getSpec().getPorts().stream()
            .filter(p -> p.getPort().equals(webhook.getClientConfig().getService().getPort()))
            .findFirst()
            .orElseThrow();
    Deployment pilot = find(objects, Deployment.class, "tollgate-pilot");
    assertThat(pilot.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
        .anySatisfy(
            p -> assertThat(p.getContainerPort()).isEqualTo(https.getTargetPort().getIntVal()));
    assertThat(args(pilot.getSpec().getTemplate()))
        .contains("--policy-address=tollgate-policy.tollgate-system.svc.cluster.local:9091");

    StatefulSet ca = find(objects, StatefulSet.class, "tollgate-ca");
    assertThat(ca.getSpec().getVolumeClaimTemplates()).hasSize(1);
    // Every Service port follows the <protocol>[-<suffix>] naming that tollgate analyze checks.
    for (HasMetadata o : objects) {
      if (o instanceof Service s) {
        s.getSpec()
            .getPorts()
            .forEach(
                p ->
                    assertThat(p.getName())
                        .as("port of %s", s.getMetadata().getName())
                        .matches("(http|https|grpc|tcp)(-[a-z0-9-]+)?"));
      }
    }
  }

  static List<String> args(PodTemplateSpec template) {
    return template.getSpec().getContainers().stream()
        .map(Container::getArgs)
        .flatMap(List::stream)
        .toList();
  }

  static <T extends HasMetadata> T find(List<HasMetadata> objects, Class<T> type, String name) {
    return objects.stream()
        .filter(type::isInstance)
        .map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }
}
