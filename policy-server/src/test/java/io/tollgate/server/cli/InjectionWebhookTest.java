package io.tollgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.citadel.CaState;
import io.tollgate.citadel.CertificateAuthority;
import io.tollgate.citadel.KeyType;
import io.tollgate.citadel.Pem;
import io.tollgate.citadel.Revocations;
import io.tollgate.citadel.SpiffeId;
import io.tollgate.pilot.kube.InjectionWebhook;
import io.tollgate.pilot.kube.Injector;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The injection webhook over real HTTPS, with a serving certificate from citadel-lite, as the API
 * server would call it.
 */
class InjectionWebhookTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  static String review(String uid, String pod) {
    return """
        {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
         "request": {"uid": "%s", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "namespace": "shop", "operation": "CREATE",
                     "object": %s}}
        """
        .formatted(uid, pod);
  }

  @Test
  void podsGetTheSidecarByJsonPatchAndBadRequestsA400() throws Exception {
    CaState ca = CaState.open(dir.resolve("ca"), null, "cluster.local");
    CertificateAuthority authority =
        new CertificateAuthority(
            ca,
            new CertificateAuthority.Settings(
                "cluster.local", Duration.ofHours(1), Duration.ofHours(1)),
            new Revocations(dir),
            Clock.systemUTC());
    KeyPair key = KeyType.EC_P256.generate();
    var serving =
        authority.issueServing(
            new SpiffeId("cluster.local", "tollgate-system", "tollgate-pilot"),
            key.getPublic(),
            List.of("localhost", "127.0.0.1"),
            Duration.ofHours(1));
    Pem.writeAtomically(dir.resolve("tls.crt"), Pem.encode(serving.chain()), false);
    Pem.writeKey(dir.resolve("tls.key"), key);
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("root", ca.roots.get(0));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(null, tmf.getTrustManagers(), null);
    HttpClient http = HttpClient.newBuilder().sslContext(client).build();

    try (InjectionWebhook webhook =
        InjectionWebhook.start(
            new InetSocketAddress("127.0.0.1", 0),
            TlsFiles.serverContext(dir.resolve("tls.crt"), dir.resolve("tls.key")),
            Injector.Images.DEFAULT,
            new PrometheusRegistry())) {
      URI inject = URI.create("https://127.0.0.1:" + webhook.port() + "/inject");
      String pod =
          """
          {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "reviews-1", "labels": {"app": "reviews"}},
           "spec": {"containers": [{"name": "reviews", "image": "example/reviews:1"}]}}
          """;
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(inject)
                  .POST(HttpRequest.BodyPublishers.ofString(review("u-1", pod)))
                  .header("Content-Type", "application/json")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      JsonNode response = JSON.readTree(r.body()).path("response");
      assertThat(response.path("uid").asText()).isEqualTo("u-1");
      assertThat(response.path("allowed").asBoolean()).isTrue();
      assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
      JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
      assertThat(patch)
          .extracting(p -> p.path("op").asText() + " " + p.path("path").asText())
          .containsExactly("add /metadata/annotations", "replace /spec");
      JsonNode spec = patch.get(1).path("value");
      assertThat(spec.path("containers"))
          .extracting(c -> c.path("name").asText())
          .containsExactly("reviews", Injector.PROXY);
      assertThat(spec.path("initContainers").get(0).path("name").asText()).isEqualTo(Injector.INIT);
      assertThat(spec.path("containers").get(1).path("args").toString())
          .contains("TOLLGATE_SERVICE: \\\"reviews.shop\\\"");

      // Not an AdmissionReview: 400 with the reason, and the webhook keeps answering.
      HttpResponse<String> bad =
          http.send(
              HttpRequest.newBuilder(inject)
                  .POST(HttpRequest.BodyPublishers.ofString("{\"kind\": \"Pod\"}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body())
          .contains("expected an AdmissionReview with request.uid and request.object");
      HttpResponse<String> garbage =
          http.send(
              HttpRequest.newBuilder(inject)
                  .POST(HttpRequest.BodyPublishers.ofString("{{{"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(garbage.statusCode()).isEqualTo(400);

      // A pod that opts out is allowed without a patch.
      String optOut =
          pod.replace(
              "\"labels\"",
              "\"annotations\": {\"sidecar.tollgate.io/inject\": \"false\"}, \"labels\"");
      JsonNode unchanged =
          JSON.readTree(
                  http.send(
                          HttpRequest.newBuilder(inject)
                              .POST(HttpRequest.BodyPublishers.ofString(review("u-2", optOut)))
                              .build(),
                          HttpResponse.BodyHandlers.ofString())
                      .body())
              .path("response");
      assertThat(unchanged.path("allowed").asBoolean()).isTrue();
      assertThat(unchanged.has("patch")).isFalse();
    }
  }
}
