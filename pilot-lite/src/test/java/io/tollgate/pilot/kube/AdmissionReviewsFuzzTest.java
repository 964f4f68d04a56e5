package io.tollgate.pilot.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.pilot.xds.SidecarPorts;
import io.tollgate.testing.InputTimeout;
import java.io.IOException;
import java.util.Base64;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the injection webhook's answer to a request body ({@link AdmissionReviews}), below the
 * HTTPS server: Kubernetes sends whatever pod a user created, so any body must get an answer. The
 * documented bad input is answered, not thrown: 400 for a body that is not an AdmissionReview, a
 * review response with {@code allowed: false} for a pod that cannot be injected. Any exception is a
 * finding, and so is a 200 whose body is not a review response for the request's uid, or whose
 * patch is not a JSON array.
 *
 * <p>The corpus ({@code AdmissionReviewsFuzzTestInputs/answer}) holds the reviews of the webhook
 * tests: pods to inject, pods with their own ports, refused annotations, opted-out pods.
 */
@ExtendWith(InputTimeout.class)
class AdmissionReviewsFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AdmissionReviews REVIEWS =
      new AdmissionReviews(Injector.Images.DEFAULT, new SidecarPorts(16006, 16001, "0.0.0.0"));

  @FuzzTest(maxDuration = "30s")
  void answer(byte[] body) throws IOException {
    AdmissionReviews.Answer answer = REVIEWS.answer(body, "fuzz");
    if (answer.status() == 400) {
      assertThat(answer.result()).isEqualTo("invalid");
      return;
    }
    assertThat(answer.status()).isEqualTo(200);
    JsonNode response = JSON.readTree(answer.body()).path("response");
    assertThat(response.path("uid").asText())
        .isEqualTo(JSON.readTree(body).path("request").path("uid").asText());
    assertThat(response.path("allowed").isBoolean()).isTrue();
    if (response.has("patch")) {
      assertThat(answer.result()).isEqualTo("injected");
      assertThat(
              JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText())).isArray())
          .isTrue();
    }
  }
}
