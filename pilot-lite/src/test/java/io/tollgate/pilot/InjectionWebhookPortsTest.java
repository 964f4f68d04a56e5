package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.pilot.kube.InjectionWebhook;
import io.tollgate.pilot.kube.Injector;
import io.tollgate.pilot.xds.SidecarPorts;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook injects its own ports, a pod's from its annotations, and refuses a pod whose
 * annotation is not a port.
 */
class InjectionWebhookPortsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  static String review(String uid, String pod) {
    return "{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\", \"request\": {\"uid\": \""
        + uid
        + "\", \"namespace\": \"shop\", \"object\": "
        + pod
        + "}}";
  }

  @Test
  void podsGetTheWebhooksPortsOrTheirOwnAndABadAnnotationIsRefused() throws Exception {
    Path pki =
        TestPki.workload(
            dir.resolve("pki"),
            "spiffe://cluster.local/ns/tollgate-system/sa/tollgate-pilot",
            List.of("127.0.0.1"));
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    Certificate[] chain =
        x509.generateCertificates(
                new ByteArrayInputStream(Files.readAllBytes(pki.resolve("cert-chain.pem"))))
            .toArray(Certificate[]::new);
    String pem =
        Files.readString(pki.resolve("key.pem"))
            .replaceAll("-----[A-Z ]+-----", "")
            .replaceAll("\\s", "");
    PrivateKey key =
        KeyFactory.getInstance("EC")
            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("webhook", key, new char[0], chain);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    SSLContext server = SSLContext.getInstance("TLS");
    server.init(kmf.getKeyManagers(), null, null);
    KeyStore roots = KeyStore.getInstance("PKCS12");
    roots.load(null, null);
    roots.setCertificateEntry(
        "root",
        x509.generateCertificate(
            new ByteArrayInputStream(Files.readAllBytes(pki.resolve("root-cert.pem")))));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(roots);
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(null, tmf.getTrustManagers(), null);
    HttpClient http = HttpClient.newBuilder().sslContext(client).build();

    try (InjectionWebhook webhook =
        InjectionWebhook.start(
            new InetSocketAddress("127.0.0.1", 0),
            server,
            Injector.Images.DEFAULT,
            new SidecarPorts(16006, 16001, "0.0.0.0"),
            new PrometheusRegistry())) {
      URI inject = URI.create("https://127.0.0.1:" + webhook.port() + "/inject");
      String pod =
          """
          {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "reviews-1", "labels": {"app": "reviews"}},
           "spec": {"containers": [{"name": "reviews", "image": "example/reviews:1"}]}}
          """;
      JsonNode injected = answer(http, inject, review("u-1", pod));
      assertThat(injected.path("allowed").asBoolean()).isTrue();
      assertThat(patchedArgs(injected))
          .contains("\"-p\",\"16001\",\"-z\",\"16006\"")
          .contains("TOLLGATE_INBOUND_PORT: \\\"16006\\\", TOLLGATE_OUTBOUND_PORT: \\\"16001\\\"");

      String own =
          pod.replace(
              "\"labels\"",
              "\"annotations\": {\"sidecar.tollgate.io/outboundPort\": \"17001\"}, \"labels\"");
      assertThat(patchedArgs(answer(http, inject, review("u-2", own))))
          .contains("\"-p\",\"17001\",\"-z\",\"16006\"")
          .contains("TOLLGATE_OUTBOUND_PORT: \\\"17001\\\"");

      String typo =
          pod.replace(
              "\"labels\"",
              "\"annotations\": {\"sidecar.tollgate.io/outboundPort\": \"16006\"}, \"labels\"");
      JsonNode refused = answer(http, inject, review("u-3", typo));
      assertThat(refused.path("uid").asText()).isEqualTo("u-3");
      assertThat(refused.path("allowed").asBoolean()).isFalse();
      assertThat(refused.has("patch")).isFalse();
      assertThat(refused.path("status").path("code").asInt()).isEqualTo(400);
      assertThat(refused.path("status").path("message").asText())
          .isEqualTo(
              "tollgate sidecar injection: the inbound and the outbound port are both 16006; they must differ");
    }
  }

  static JsonNode answer(HttpClient http, URI inject, String review) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(inject)
                .POST(HttpRequest.BodyPublishers.ofString(review))
                .header("Content-Type", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return JSON.readTree(r.body()).path("response");
  }

  /** The JSONPatch's containers and init containers, as JSON text. */
  static String patchedArgs(JsonNode response) throws Exception {
    JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
    return patch.get(1).path("value").toString();
  }
}
