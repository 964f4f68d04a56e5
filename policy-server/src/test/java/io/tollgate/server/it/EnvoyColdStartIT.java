package io.tollgate.server.it;

import static io.tollgate.testing.EnvoyConfigs.grpcCluster;
import static io.tollgate.testing.EnvoyConfigs.httpCluster;
import static io.tollgate.testing.EnvoyConfigs.listener;
import static io.tollgate.testing.EnvoyConfigs.routeAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.testing.EchoUpstream;
import io.tollgate.testing.EnvoyConfigs;
import io.tollgate.testing.EnvoyLauncher;
import io.tollgate.testing.FreePorts;
import io.tollgate.testing.ProxyClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A policy server that has just said ready decides the very first request Envoy sends it within
 * Envoy's 250 ms ext_authz timeout: Envoy is up first, the server starts, and the first request
 * after {@code /readyz} answers 200 is allowed, not refused for a timeout. How fast it is lives in
 * the benchmarks ({@code benchmarks/run-envoy.sh}, cold phase); this test only proves "ready means
 * it answers".
 */
class EnvoyColdStartIT {
  @TempDir Path dir;

  @Test
  void theFirstRequestAfterReadyIsDecidedWithinEnvoysTimeout() throws Exception {
    int grpc = FreePorts.next();
    int port = FreePorts.next();
    String filter =
        """
        - name: envoy.filters.http.ext_authz
          typed_config:
            "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
            transport_api_version: V3
            failure_mode_allow: false
            grpc_service:
              envoy_grpc: {cluster_name: tollgate}
              timeout: 0.25s
        """;
    try (EchoUpstream upstream = new EchoUpstream();
        EnvoyLauncher envoy =
            EnvoyLauncher.start(
                EnvoyConfigs.staticBootstrap(
                    listener("cold", port, filter, routeAll("upstream")),
                    grpcCluster("tollgate", grpc) + httpCluster("upstream", upstream.port())))) {
      TestServer.itPolicy(dir);
      try (TestServer ts =
          TestServer.start(
              TestServer.config(dir, TestServer.testPlugins(), Duration.ZERO)
                  .withPorts(grpc, 0, 0))) {
        assertThat(ts.admin("/readyz").statusCode()).isEqualTo(200);
        HttpResponse<String> first = ProxyClient.get(port, "productpage", "/productpage");
        assertThat(first.statusCode())
            .as("the first request after ready\n%s", envoy.log())
            .isEqualTo(200);
        assertThat(first.body()).contains("x-tollgate-caller: anonymous");
        for (int i = 0; i < 100; i++) {
          assertThat(ProxyClient.get(port, "productpage", "/productpage").statusCode())
              .isEqualTo(200);
        }
        assertThat(envoy.stat("http.cold.ext_authz.error"))
            .as("timeouts or errors among the first 101")
            .isZero();
        assertThat(envoy.stat("http.cold.ext_authz.ok")).isEqualTo(101);
      }
    }
  }
}
