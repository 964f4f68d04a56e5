package io.tollgate.server.it;

import static io.tollgate.server.it.GrpcCheckIT.headers;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixer-style quotas: a {@code quota} instance sent to the {@code quota} handler, decided by the
 * quota cluster, denies an ext_authz Check with 429 and {@code x-ratelimit-*} headers.
 */
class QuotaRuleIT {
  static final String QUOTA_RULES =
      """
      kind: Handler
      name: per-client
      adapter: quota
      params:
        quotas:
          - name: requestcount
            maxAmount: 3
            validDuration: 1h
            overrides:
              - dimensions: {source: 198.51.100.9}
                maxAmount: 1
      ---
      kind: Instance
      name: requestcount
      template: quota
      params:
        dimensions:
          source: source.ip
          service: destination.service.host
      ---
      kind: Rule
      name: ratings-quota
      match: request.path.startsWith("/ratings")
      actions:
      - handler: per-client
        instances: [requestcount]
      """;

  @TempDir static Path dir;
  static TestServer ts;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(dir.resolve("quota.yaml"), QUOTA_RULES);
    ts = TestServer.startRevealing(dir, null, Duration.ZERO);
  }

  @AfterAll
  static void stop() {
    ts.close();
  }

  static CheckResponse ratings(String source) {
    return ts.check(
        EnvoyCheckRequest.http("GET", "ratings", "/ratings/1").source(source, 40000).build());
  }

  @Test
  void spendsPerClientAndDeniesWith429AndRateLimitHeaders() {
    for (int i = 2; i >= 0; i--) {
      CheckResponse ok = ratings("203.0.113.1");
      assertThat(ok.getStatus().getCode()).as("%s", ok).isEqualTo(Code.OK_VALUE);
      Map<String, String> h = headers(ok.getOkResponse().getResponseHeadersToAddList());
      assertThat(h)
          .containsEntry("x-ratelimit-limit", "3")
          .containsEntry("x-ratelimit-remaining", Integer.toString(i));
      assertThat(Long.parseLong(h.get("x-ratelimit-reset"))).isBetween(1L, 3600L);
    }
    CheckResponse denied = ratings("203.0.113.1");
    assertThat(denied.getStatus().getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED_VALUE);
    assertThat(denied.getDeniedResponse().getStatus().getCodeValue()).isEqualTo(429);
    Map<String, String> h = headers(denied.getDeniedResponse().getHeadersList());
    assertThat(h)
        .containsEntry("x-ratelimit-limit", "3")
        .containsEntry("x-ratelimit-remaining", "0")
        .containsEntry("x-tollgate-rule", "ratings-quota")
        .containsKey("retry-after");
    assertThat(Long.parseLong(h.get("retry-after"))).isBetween(1L, 3600L);
    assertThat(denied.getDeniedResponse().getBody()).contains("quota 'requestcount' is spent");

    // Another client has its own quota; the overridden one only 1.
    assertThat(ratings("203.0.113.2").getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(ratings("198.51.100.9").getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(ratings("198.51.100.9").getDeniedResponse().getStatus().getCodeValue())
        .isEqualTo(429);
    // Requests the rule does not match spend nothing.
    assertThat(
            ts.check(
                    EnvoyCheckRequest.http("GET", "ratings", "/other")
                        .source("203.0.113.1", 1)
                        .build())
                .getStatus()
                .getCode())
        .isEqualTo(Code.OK_VALUE);
  }

  @Test
  void theHttpCheckEndpointAnswers429WithTheHeadersToo() {
    String base = "http://127.0.0.1:" + ts.server.httpPort();
    HttpResponse<String> last = null;
    for (int i = 0; i < 4; i++) {
      last = ts.send(HttpRequest.newBuilder(URI.create(base + "/ratings/1")).build());
    }
    assertThat(last.statusCode()).isEqualTo(429);
    assertThat(last.headers().firstValue("x-ratelimit-remaining")).hasValue("0");
    assertThat(last.headers().firstValue("retry-after")).isPresent();
  }

  @Test
  void theServerIsReadyOnlyWithTheQuotaClusterAndShowsIt() {
    assertThat(ts.get("http://127.0.0.1:" + ts.server.adminPort() + "/readyz").statusCode())
        .isEqualTo(200);
    String metrics = ts.get("http://127.0.0.1:" + ts.server.adminPort() + "/metrics").body();
    assertThat(metrics).contains("tollgate_quota_cluster_members 1");
  }
}
