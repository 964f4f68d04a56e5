package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tollgate pilot} as its own process: it refuses a broken mesh at start, serves, reports,
 * and keeps the last good version.
 */
class PilotIT {
  static final String ENTRY =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: ratings, namespace: shop}
      spec:
        hosts: [ratings.shop]
        ports: [{number: 9080, name: http}]
        endpoints: [{address: 127.0.0.1}]
      """;

  @TempDir Path dir;

  static String get(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void refusesABrokenMeshAtStartAndKeepsTheLastGoodOneLater() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), ENTRY.replace("name: http", "name: web"));
    ShadedJarIT.Result refused =
        ShadedJarIT.run("pilot", "--mesh", dir.toString(), "--port", "0", "--admin-port", "0");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.out())
        .contains("tollgate pilot: the mesh does not load; nothing started:")
        .contains(
            "mesh.yaml:1: ServiceEntry shop/ratings: spec.ports[0].name: 'web' must be <protocol>[-<suffix>]");

    Files.writeString(dir.resolve("mesh.yaml"), ENTRY);
    try (ServerProcess pilot =
        ServerProcess.pilot("--mesh", dir.toString(), "--reload-interval", "100ms")) {
      assertThat(get(pilot.adminPort, "/readyz")).isEqualTo("ready\n");
      String version = get(pilot.adminPort, "/mesh");
      assertThat(version).contains("\"version\"").contains("\"lastReloadProblems\" : [ ]");
      Files.writeString(dir.resolve("mesh.yaml"), ENTRY + "    unknownField: 1\n");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> get(pilot.adminPort, "/mesh").contains("unknownField"));
      assertThat(get(pilot.adminPort, "/mesh"))
          .contains(version.replaceAll("(?s).*\"version\" : \"([0-9a-f]+)\".*", "$1"));
      assertThat(get(pilot.adminPort, "/metrics"))
          .contains("tollgate_pilot_reloads_total{result=\"failure\"} 1.0")
          .contains("tollgate_pilot_pushes_total 1.0");
      assertThat(pilot.log()).contains("mesh reload failed with 1 problem(s)");
    }
  }
}
