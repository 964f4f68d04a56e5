package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.pilot.PilotServer;
import io.tollgate.pilot.xds.PolicyWiring;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRFC A92 in grpc-java 1.85: a proxyless client whose only configuration comes from pilot-lite
 * calls the policy server's ext_authz before every call, and the policy decides. grpc-java runs the
 * client filter only with GRPC_EXPERIMENTAL_XDS_EXT_AUTHZ_ON_CLIENT=true, and only for an ext_authz
 * target its bootstrap lists in allowed_grpc_services (credentials come from there: the Envoy API
 * classes Tollgate builds with predate GoogleGrpc.channel_credentials_plugin).
 */
class ProxylessAuthzIT {
  @TempDir Path dir;

  @Test
  void theRuleDecidesEveryProxylessCall() throws Exception {
    Path policy = Files.createDirectories(dir.resolve("policy"));
    Files.writeString(
        policy.resolve("callers.yaml"),
        """
        kind: Handler
        name: no-mallory
        adapter: denier
        params: {status: 403, message: "mallory may not call the health service"}
        ---
        kind: Rule
        name: mallory
        match: request.headers["x-user"] == "mallory"
        actions:
        - handler: no-mallory
        """);
    HealthStatusManager health = new HealthStatusManager();
    Server upstream =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(health.getHealthService())
            .build()
            .start();
    int upstreamPort = ((InetSocketAddress) upstream.getListenSockets().get(0)).getPort();
    Path mesh = Files.createDirectories(dir.resolve("mesh"));
    Files.writeString(
        mesh.resolve("health.yaml"),
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: health, namespace: shop}
        spec:
          hosts: [health.shop]
          ports: [{number: 8080, name: grpc}]
          endpoints: [{address: 127.0.0.1, ports: {grpc: %d}}]
        """
            .formatted(upstreamPort));
    try (TestServer ts = TestServer.start(policy, null, Duration.ZERO)) {
      String target = "dns:///127.0.0.1:" + ts.server.grpcPort();
      try (PilotServer pilot =
          PilotServer.start(
              new PilotServer.Settings(
                  mesh,
                  "127.0.0.1",
                  0,
                  Duration.ZERO,
                  PolicyWiring.of(
                          "127.0.0.1:" + ts.server.grpcPort(), false, Duration.ofSeconds(2), "mesh")
                      .withProxylessExtAuthz(true)),
              new PrometheusRegistry())) {
        // This is the only test in this JVM that uses xDS: grpc-java reads both once.
        System.setProperty("GRPC_EXPERIMENTAL_XDS_EXT_AUTHZ_ON_CLIENT", "true");
        System.setProperty(
            "io.grpc.xds.bootstrapConfig",
            """
            {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
             "node": {"id": "proxyless~127.0.0.1~client.shop~shop.svc.cluster.local"},
             "allowed_grpc_services": {"%s": {"channel_creds": [{"type": "insecure"}]}}}
            """
                .formatted(pilot.port(), target));
        ManagedChannel ch =
            Grpc.newChannelBuilder("xds:///health.shop:8080", InsecureChannelCredentials.create())
                .build();
        try {
          // Denied: the policy's answer reaches the caller.
          assertThatThrownBy(() -> check(ch, "mallory"))
              .isInstanceOfSatisfying(
                  StatusRuntimeException.class,
                  e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                  });
          assertThat(checks(ts))
              .contains(
                  "tollgate_checks_total{decision=\"deny\",rule=\"mallory\",transport=\"grpc\"} 1.0");
          // Allowed: the policy server is asked and allows, but grpc-java 1.85.1 then fails the
          // call
          // itself: the upstream call starts inside the check's cancellable context, which the
          // filter
          // cancels once the check completes. When this assertion fails, grpc-java has fixed it:
          // assert SERVING instead.
          assertThatThrownBy(() -> check(ch, "alice"))
              .isInstanceOfSatisfying(
                  StatusRuntimeException.class,
                  e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED);
                    assertThat(e.getStatus().getDescription())
                        .isEqualTo("io.grpc.Context was cancelled without error");
                  });
          assertThat(checks(ts))
              .contains(
                  "tollgate_checks_total{decision=\"allow\",rule=\"\",transport=\"grpc\"} 1.0");
        } finally {
          ch.shutdownNow();
          upstream.shutdownNow();
        }
      }
    }
  }

  static String checks(TestServer ts) throws Exception {
    return ts.http
        .send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + ts.server.adminPort() + "/metrics"))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString())
        .body();
  }

  static HealthCheckResponse.ServingStatus check(ManagedChannel ch, String user) {
    Metadata m = new Metadata();
    m.put(Metadata.Key.of("x-user", Metadata.ASCII_STRING_MARSHALLER), user);
    return HealthGrpc.newBlockingStub(ch)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m))
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance())
        .getStatus();
  }
}
