package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import io.tollgate.testing.Peers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quota dashboard in real headless Chromium (Debian's): after rate-limited calls and denied
 * checks, the page the browser rendered shows the limit, admitted and rejected figures equal to the
 * API's, the top key with what it has left, a drawn chart and the recent denial. A screenshot is
 * left in target/dashboard.png for people to look at.
 */
class DashboardIT {
  @TempDir Path dir;

  static Path chromium() {
    return Peers.require(
        "chromium",
        "apt-get install -y chromium (scripts/install-test-peers does)",
        "chromium",
        "chromium-browser",
        "/usr/bin/chromium");
  }

  /** Runs headless Chromium on {@code url} with {@code args}; returns its standard output. */
  static String chromium(String url, String... args) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory("tollgate-chromium");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                chromium().toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--user-data-dir=" + profile,
                "--window-size=1280,1100",
                "--virtual-time-budget=10000"));
    cmd.addAll(List.of(args));
    cmd.add(url);
    Path log = Path.of("target", "chromium.log").toAbsolutePath();
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within 90 s");
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  static String text(String dom, String regex) {
    Matcher m = Pattern.compile(regex, Pattern.DOTALL).matcher(dom);
    assertThat(m.find())
        .as(
            "%s in the rendered page:%n%s",
            regex, dom.length() > 3000 ? dom.substring(0, 3000) : dom)
        .isTrue();
    return m.group(1);
  }

  @Test
  void theDashboardShowsLimitsKeysChartAndDenials() throws Exception {
    io.tollgate.server.BundledPolicy.copyTo(dir);
    Files.writeString(
        dir.resolve("limits.yaml"),
        """
        domain: edge
        descriptors:
          - key: remote_address
            rate_limit: {unit: hour, requests_per_unit: 3, name: per-address}
        """);
    try (TestServer ts = TestServer.start(dir, null, Duration.ZERO)) {
      var rls = RateLimitServiceGrpc.newBlockingStub(ts.channel);
      for (int i = 0; i < 8; i++) {
        rls.withDeadlineAfter(10, TimeUnit.SECONDS)
            .shouldRateLimit(
                RateLimitRequest.newBuilder()
                    .setDomain("edge")
                    .addDescriptors(
                        RateLimitDescriptor.newBuilder()
                            .addEntries(
                                RateLimitDescriptor.Entry.newBuilder()
                                    .setKey("remote_address")
                                    .setValue("198.51.100.7")))
                    .build());
      }
      rls.shouldRateLimit(
          RateLimitRequest.newBuilder()
              .setDomain("edge")
              .addDescriptors(
                  RateLimitDescriptor.newBuilder()
                      .addEntries(
                          RateLimitDescriptor.Entry.newBuilder()
                              .setKey("remote_address")
                              .setValue("198.51.100.8")))
              .build());
      ts.check(EnvoyCheckRequest.http("GET", "details", "/admin/users").build());
      // Let the per-second history take a sample or two.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  new ObjectMapper()
                          .readTree(ts.admin("/api/quotas").body())
                          .at("/limits/0/history")
                          .size()
                      >= 1);

      String url = "http://127.0.0.1:" + ts.server.adminPort() + "/dashboard/";
      String dom = chromium(url, "--dump-dom");
      JsonNode api = new ObjectMapper().readTree(ts.admin("/api/quotas").body());
      JsonNode limit = api.at("/limits/0");
      assertThat(limit.get("admitted").asLong()).isEqualTo(4);
      assertThat(limit.get("rejected").asLong()).isEqualTo(5);

      assertThat(text(dom, "<body[^>]*data-updates=\"(\\d+)\""))
          .as("the page polled the API")
          .isNotEqualTo("0");
      String card = text(dom, "(<div class=\"limit\" data-limit=\"edge/per-address\".*?</table>)");
      assertThat(text(card, "class=\"admitted\">admitted <b>([^<]*)</b>"))
          .isEqualTo(limit.get("admitted").asText());
      assertThat(text(card, "class=\"rejected\">rejected <b>([^<]*)</b>"))
          .isEqualTo(limit.get("rejected").asText());
      assertThat(text(card, "class=\"size\">([^<]*)<")).isEqualTo("3 per hour");
      assertThat(text(card, "class=\"key top-key\">([^<]*)<"))
          .isEqualTo("remote_address=198.51.100.7");
      assertThat(text(card, "class=\"remaining\">([^<]*)<")).isEqualTo("0");
      assertThat(Integer.parseInt(text(card, "data-chart-points=\"(\\d+)\"")))
          .as("chart drawn")
          .isGreaterThanOrEqualTo(1);
      assertThat(text(dom, "<tr class=\"denial\">.*?class=\"rule\">([^<]*)<"))
          .isEqualTo("admin-only");
      assertThat(text(dom, "id=\"policy-version\">([^<]*)<")).isEqualTo("1");

      Path shot = Path.of("target", "dashboard.png").toAbsolutePath();
      Files.deleteIfExists(shot);
      chromium(url, "--screenshot=" + shot);
      assertThat(shot).exists();
      assertThat(Files.size(shot)).as("a real picture").isGreaterThan(10_000);
    }
  }
}
