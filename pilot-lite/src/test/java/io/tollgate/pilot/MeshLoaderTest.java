package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.ConfigError;
import io.tollgate.pilot.model.Mesh;
import io.tollgate.pilot.model.MeshException;
import io.tollgate.pilot.model.MeshLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mesh files: what loads, and every kind of mistake reported with its place. */
class MeshLoaderTest {
  static final String ENTRY =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: reviews, namespace: shop}
      spec:
        hosts: [reviews.shop]
        ports: [{number: 9080, name: http-web}]
        endpoints:
        - {address: 10.0.0.1, labels: {version: v1}}
        - {address: 10.0.0.2, labels: {version: v2}}
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: reviews, namespace: shop}
      spec:
        host: reviews.shop
        trafficPolicy:
          loadBalancer: {simple: LEAST_REQUEST}
          connectionPool: {tcp: {maxConnections: 100, connectTimeout: 2s}, http: {http2MaxRequests: 1000, maxRetries: 3}}
          outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
        subsets:
        - {name: v1, labels: {version: v1}}
        - {name: v2, labels: {version: v2}}
      """;

  @TempDir Path dir;

  List<ConfigError> problems(String vs) throws Exception {
    Files.writeString(dir.resolve("a-registry.yaml"), ENTRY);
    Files.writeString(dir.resolve("b-routes.yaml"), vs);
    try {
      MeshLoader.load(dir);
    } catch (MeshException e) {
      return e.problems();
    }
    return List.of();
  }

  static String routes(String http) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: [reviews.shop]
          http:
        """
        + http.indent(2);
  }

  @Test
  void anIstioManifestLoads() throws Exception {
    assertThat(
            problems(
                routes(
                    """
        - match: [{uri: {prefix: /api}, method: {exact: GET}, headers: {end-user: {regex: "j.*"}}, queryParams: {v: {exact: "2"}}}]
          route:
          - {destination: {host: reviews.shop, subset: v2, port: {number: 9080}}, weight: 25}
          - {destination: {host: reviews.shop, subset: v1}, weight: 75}
          retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,connect-failure"}
          timeout: 10s
          rewrite: {uri: /v2/api}
        - fault: {delay: {percentage: {value: 0.5}, fixedDelay: 7s}, abort: {percentage: {value: 1}, httpStatus: 503}}
          route: [{destination: {host: reviews.shop}}]
        """)))
        .isEmpty();
    Mesh mesh = MeshLoader.load(dir);
    assertThat(mesh.serviceEntries()).hasSize(1);
    assertThat(mesh.destinationRules().get(0).line()).isEqualTo(11);
  }

  @Test
  void mistakesAreReportedWithFileLineAndWhatToDo() throws Exception {
    assertThat(
            problems(
                routes(
                    """
        - route:
          - {destination: {host: reviews.shop, subset: v3}, weight: 50}
          - {destination: {host: ratings.shop}, weight: 40}
          timeout: soon
          fault: {abort: {percentage: {value: 150}, grpcStatus: NOPE}}
        - match: [{uri: {exact: /a, prefix: /b}}]
          route: [{destination: {host: reviews.shop}}]
        """)))
        .extracting(ConfigError::toString)
        .containsExactlyInAnyOrder(
            "b-routes.yaml:1: VirtualService shop/reviews: spec.http[0].route[0].destination.subset: subset 'v3' is not defined by a"
                + " DestinationRule for reviews.shop (defined: [v1, v2])",
            "b-routes.yaml:1: VirtualService shop/reviews: spec.http[0].route[1].destination.host: host ratings.shop is not declared by any ServiceEntry",
            "b-routes.yaml:1: VirtualService shop/reviews: spec.http[0].route: weights add up to 90, not 100",
            "b-routes.yaml:1: VirtualService shop/reviews: spec.http[0].timeout: 'soon' is not a duration (write e.g. 250ms, 2s, 1m)",
            "b-routes.yaml:1: VirtualService shop/reviews: spec.http[0].fault.abort.percentage: 150.0 is not a percentage (0..100)",
            "b-routes.yaml:1: VirtualService shop/reviews: spec.http[0].fault.abort.grpcStatus: 'NOPE' is not a gRPC status name (e.g. UNAVAILABLE)",
            "b-routes.yaml:1: VirtualService shop/reviews: spec.http[1].match[0].uri: give exactly one of exact, prefix and regex");
  }

  @Test
  void anUnsupportedFieldIsAnErrorWithItsColumnNotIgnored() throws Exception {
    List<ConfigError> p =
        problems(
            routes(
                """
        - route: [{destination: {host: reviews.shop}}]
          mirror: {host: reviews.shop}
        """));
    assertThat(p).hasSize(1);
    assertThat(p.get(0).toString())
        .startsWith("b-routes.yaml:8:5: field 'mirror' is not supported here (supported: [");
  }

  @Test
  void badPortNamesUnknownKindsAndSyntaxErrors() throws Exception {
    Files.writeString(
        dir.resolve("ports.yaml"), ENTRY.replace("http-web", "web").replace("reviews", "ratings"));
    assertThat(problems(routes("- route: [{destination: {host: reviews.shop}}]\n")))
        .extracting(ConfigError::toString)
        .anySatisfy(
            s ->
                assertThat(s)
                    .startsWith(
                        "ports.yaml:1: ServiceEntry shop/ratings: spec.ports[0].name: 'web' must be"));
    Files.delete(dir.resolve("ports.yaml"));
    Files.writeString(
        dir.resolve("deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n");
    assertThat(problems(routes("- route: [{destination: {host: reviews.shop}}]\n")))
        .extracting(ConfigError::toString)
        .containsExactly(
            "deploy.yaml:2:7: kind 'Deployment' is not read by pilot-lite (it reads ServiceEntry, VirtualService and"
                + " DestinationRule; keep other objects in other files)");
    Files.writeString(dir.resolve("deploy.yaml"), "kind: VirtualService\nspec: [unclosed\n");
    assertThat(problems(routes("- route: [{destination: {host: reviews.shop}}]\n")))
        .hasSize(1)
        .allSatisfy(p -> assertThat(p.file()).isEqualTo("deploy.yaml"));
  }

  @Test
  void aDuplicateKeyIsRefusedWithBothLocations() throws Exception {
    assertThat(
            problems(
                routes(
                    """
        - route: [{destination: {host: reviews.shop}}]
          timeout: 1s
          timeout: 2s
        """)))
        .extracting(ConfigError::toString)
        .containsExactly(
            "b-routes.yaml:9:5: duplicate key 'timeout' (first at b-routes.yaml:8:5); a map holds"
                + " each key once");
  }

  @Test
  void aWrongTypeIsReportedAtItsValue() throws Exception {
    assertThat(
            problems(
                routes(
                    """
        - route: [{destination: {host: reviews.shop, port: {number: http}}}]
        """)))
        .singleElement()
        .asString()
        .startsWith("b-routes.yaml:7:63: ");
  }

  @Test
  void anAliasBombIsRefusedQuicklyWithTheFileName() throws Exception {
    // 24 levels stay under the alias limit and would expand to 2^25 values; 30 levels exceed it.
    for (int levels : new int[] {24, 30}) {
      StringBuilder bomb = new StringBuilder("x0: &x0 [a, b]\n");
      for (int i = 1; i <= levels; i++) {
        bomb.append("x").append(i).append(": &x").append(i);
        bomb.append(" [*x").append(i - 1).append(", *x").append(i - 1).append("]\n");
      }
      String text = "kind: VirtualService\nmetadata:\n  labels:\n" + bomb.toString().indent(4);
      assertThat(text.length()).isLessThan(1000);
      long start = System.nanoTime();
      List<ConfigError> p = problems(text);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThat(p)
          .singleElement()
          .satisfies(e -> assertThat(e.file()).isEqualTo("b-routes.yaml"))
          .asString()
          .contains("YAML error: ");
    }
  }

  @Test
  void anObjectWithoutANameIsRefusedAtItsDocument() throws Exception {
    assertThat(
            problems(
                """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata:
                spec:
                  hosts: [reviews.shop]
                """))
        .singleElement()
        .asString()
        .isEqualTo(
            "b-routes.yaml:1: VirtualService default/null: metadata.name: every mesh object needs a"
                + " name");
  }
}
