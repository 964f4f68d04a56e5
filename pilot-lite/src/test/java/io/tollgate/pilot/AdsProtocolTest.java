package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.pilot.model.MeshLoader;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.Translator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ADS as Envoy speaks it, with Envoy's own API classes: state of the world and incremental (delta).
 */
class AdsProtocolTest {
  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final Node NODE =
      Node.newBuilder()
          .setId("sidecar~10.0.0.7~reviews-1.shop~shop.svc.cluster.local")
          .setCluster("reviews")
          .build();

  @TempDir Path dir;

  static <T> StreamObserver<T> into(BlockingQueue<T> q) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        q.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  static double rejected(PrometheusRegistry registry) {
    return registry.scrape().stream()
        .filter(m -> m.getMetadata().getName().equals("tollgate_pilot_rejected_configs"))
        .flatMap(m -> m.getDataPoints().stream())
        .mapToDouble(
            d ->
                ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) d)
                    .getValue())
        .sum();
  }

  static List<String> clusterNames(List<com.google.protobuf.Any> resources) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    for (var any : resources) {
      out.add(any.unpack(Cluster.class).getName());
    }
    return out;
  }

  @Test
  void stateOfTheWorldAndDeltaBothDeliverAndFollowAnEdit() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (PilotServer pilot =
        PilotServer.start(
            new PilotServer.Settings(dir, "127.0.0.1", 0, Duration.ofMillis(100)), registry)) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", pilot.port()).usePlaintext().build();
      try {
        var ads = AggregatedDiscoveryServiceGrpc.newStub(ch);
        BlockingQueue<DiscoveryResponse> sotw = new LinkedBlockingQueue<>();
        var sotwRequests = ads.streamAggregatedResources(into(sotw));
        sotwRequests.onNext(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CDS).build());
        DiscoveryResponse first = sotw.poll(10, TimeUnit.SECONDS);
        assertThat(first).isNotNull();
        assertThat(clusterNames(first.getResourcesList()))
            .containsExactlyInAnyOrder(
                "outbound|9080||reviews.shop",
                "outbound|9080|v1|reviews.shop",
                "outbound|9080|v2|reviews.shop");

        BlockingQueue<DeltaDiscoveryResponse> delta = new LinkedBlockingQueue<>();
        var deltaRequests = ads.deltaAggregatedResources(into(delta));
        deltaRequests.onNext(
            DeltaDiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CDS).build());
        DeltaDiscoveryResponse d1 = delta.poll(10, TimeUnit.SECONDS);
        assertThat(d1).isNotNull();
        assertThat(d1.getResourcesList())
            .extracting(r -> r.getName())
            .containsExactlyInAnyOrder(
                "outbound|9080||reviews.shop",
                "outbound|9080|v1|reviews.shop",
                "outbound|9080|v2|reviews.shop");

        // ACK both, then drop subset v2: state of the world resends all, delta names the removal.
        sotwRequests.onNext(
            DiscoveryRequest.newBuilder()
                .setNode(NODE)
                .setTypeUrl(CDS)
                .setVersionInfo(first.getVersionInfo())
                .setResponseNonce(first.getNonce())
                .build());
        deltaRequests.onNext(
            DeltaDiscoveryRequest.newBuilder()
                .setNode(NODE)
                .setTypeUrl(CDS)
                .setResponseNonce(d1.getNonce())
                .build());
        Files.writeString(
            dir.resolve("mesh.yaml"),
            MeshLoaderTest.ENTRY.replace("  - {name: v2, labels: {version: v2}}\n", ""));
        DiscoveryResponse second = sotw.poll(10, TimeUnit.SECONDS);
        assertThat(second).isNotNull();
        assertThat(clusterNames(second.getResourcesList()))
            .containsExactlyInAnyOrder(
                "outbound|9080||reviews.shop", "outbound|9080|v1|reviews.shop");
        DeltaDiscoveryResponse d2 = delta.poll(10, TimeUnit.SECONDS);
        assertThat(d2).isNotNull();
        assertThat(d2.getRemovedResourcesList()).containsExactly("outbound|9080|v2|reviews.shop");

        // A proxy that rejects a configuration (NACK) is counted, and its error logged.
        sotwRequests.onNext(
            DiscoveryRequest.newBuilder()
                .setNode(NODE)
                .setTypeUrl(CDS)
                .setResponseNonce(second.getNonce())
                .setErrorDetail(
                    com.google.rpc.Status.newBuilder()
                        .setCode(3)
                        .setMessage("cluster outbound|9080||reviews.shop: bad"))
                .build());
        org.awaitility.Awaitility.await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> rejected(registry) == 1.0);
        sotwRequests.onCompleted();
        deltaRequests.onCompleted();
      } finally {
        ch.shutdownNow();
      }
    }
  }

  /** The meshes the golden files guard: name, mesh YAML, and the host whose sidecar is included. */
  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> scenarios() {
    return java.util.stream.Stream.of(
        org.junit.jupiter.params.provider.Arguments.of(
            "greeter",
            ProxylessRoutingTest.registry(50051, 50052, 50053)
                + "---\n"
                + ProxylessRoutingTest.greeterRoutes(90, 10)
                + "---\n"
                + ProxylessRoutingTest.OTHER_ROUTES,
            "greeter.shop"),
        org.junit.jupiter.params.provider.Arguments.of("reviews", REVIEWS, "reviews.shop"));
  }

  static final String REVIEWS =
      MeshLoaderTest.ENTRY.replace(
              "    loadBalancer: {simple: LEAST_REQUEST}\n",
              "    loadBalancer: {simple: LEAST_REQUEST}\n    tls: {mode: ISTIO_MUTUAL}\n")
          + "---\n"
          + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: shop}
        spec:
          hosts: [reviews.shop]
          http:
          - match: [{headers: {end-user: {exact: jason}}, uri: {prefix: /api}}]
            route: [{destination: {host: reviews.shop, subset: v2}}]
            retries: {attempts: 2, perTryTimeout: 1s, retryOn: unavailable}
            timeout: 3s
          - fault: {abort: {percentage: {value: 10}, httpStatus: 503}, delay: {percentage: {value: 0.5}, fixedDelay: 2s}}
            route:
            - {destination: {host: reviews.shop, subset: v1}, weight: 80}
            - {destination: {host: reviews.shop, subset: v2}, weight: 20}
        """;

  @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.MethodSource("scenarios")
  void everyGeneratedResourceRoundTripsThroughEnvoysJsonAndMatchesItsGoldenFile(
      String scenario, String yaml, String sidecarHost) throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), yaml);
    var mesh = MeshLoader.load(dir);
    PolicyWiring wiring =
        PolicyWiring.of("policy.tollgate:9091", false, Duration.ofMillis(250), "mesh")
            .withProxylessExtAuthz(true);
    Translator.Resources proxyless = Translator.translate(mesh, wiring);
    // The sidecar's resources include the shared ones: one list of each covers both.
    Translator.Resources r =
        io.tollgate.pilot.xds.Sidecars.forWorkload(
            mesh, proxyless, sidecarHost, io.tollgate.pilot.xds.SidecarPorts.DEFAULT, wiring);
    List<com.google.protobuf.Message> listeners = new java.util.ArrayList<>(proxyless.listeners());
    listeners.addAll(r.listeners());
    JsonFormat.TypeRegistry types =
        JsonFormat.TypeRegistry.newBuilder()
            .add(
                io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3
                    .HttpConnectionManager.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.getDescriptor())
            .add(
                io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute
                    .getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit.getDescriptor())
            .add(
                io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig
                    .getDescriptor())
            .add(
                io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                    .getDescriptor())
            .add(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                    .getDescriptor())
            .add(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
                    .getDescriptor())
            .build();
    // The rule checker itself finds what Envoy would refuse.
    assertThat(
            EnvoyRules.violations(
                io.envoyproxy.envoy.config.listener.v3.Listener.newBuilder()
                    .addFilterChains(
                        io.envoyproxy.envoy.config.listener.v3.FilterChain.newBuilder()
                            .addFilters(
                                io.envoyproxy.envoy.config.listener.v3.Filter.newBuilder()
                                    .setName("hcm")
                                    .setTypedConfig(
                                        com.google.protobuf.Any.pack(
                                            io.envoyproxy.envoy.extensions.filters.network
                                                .http_connection_manager.v3.HttpConnectionManager
                                                .getDefaultInstance()))))
                    .build(),
                types))
        .contains(
            "Listener.filter_chains[0].filters[0].typed_config<HttpConnectionManager>.stat_prefix: at least 1 character(s)",
            "Listener.filter_chains[0].filters[0].typed_config<HttpConnectionManager>.route_specifier: one of its fields is required");
    JsonFormat.Printer printer = JsonFormat.printer().usingTypeRegistry(types);
    JsonFormat.Parser parser = JsonFormat.parser().usingTypeRegistry(types);
    StringBuilder all = new StringBuilder();
    for (List<? extends com.google.protobuf.Message> list :
        List.of(listeners, r.routes(), r.clusters(), r.endpoints())) {
      for (var m : list) {
        String json = printer.print(m);
        var back = m.newBuilderForType();
        parser.merge(json, back);
        assertThat(back.build()).as("round trip of %s", json).isEqualTo(m);
        assertThat(EnvoyRules.violations(m, types))
            .as("Envoy's validation rules on %s", json)
            .isEmpty();
        all.append(json).append('\n');
      }
    }
    Path golden =
        Path.of("src/test/resources/golden/" + scenario + ".json"); // proxyless and one sidecar
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(golden.getParent());
      Files.writeString(golden, all.toString());
    }
    assertThat(golden)
        .as("golden file (regenerate with -Dgolden.update=true and review the diff)")
        .exists();
    assertThat(all.toString()).isEqualTo(Files.readString(golden));
  }

  @Test
  void anEnvoySidecarGetsListenersThatCallThePolicyServer() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY);
    Node sidecar =
        NODE.toBuilder()
            .setMetadata(
                com.google.protobuf.Struct.newBuilder()
                    .putFields(
                        PilotServer.SERVICE_METADATA,
                        com.google.protobuf.Value.newBuilder()
                            .setStringValue("reviews.shop")
                            .build()))
            .build();
    io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret root =
        io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.newBuilder()
            .setName("ROOTCA")
            .setValidationContext(
                io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext
                    .newBuilder()
                    .setTrustedCa(
                        io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder()
                            .setInlineString("PEM")))
            .build();
    try (PilotServer pilot =
        PilotServer.start(
            new PilotServer.Settings(
                dir,
                "127.0.0.1",
                0,
                Duration.ZERO,
                PolicyWiring.of(
                    "policy.tollgate:9091",
                    false,
                    Duration.ofMillis(250),
                    "mesh",
                    List.of("x-tenant=tenant", ":path=path")),
                host -> host.equals("reviews.shop") ? List.of(root) : List.of()),
            new PrometheusRegistry())) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", pilot.port()).usePlaintext().build();
      try {
        BlockingQueue<DiscoveryResponse> answers = new LinkedBlockingQueue<>();
        var requests =
            AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(into(answers));
        requests.onNext(
            DiscoveryRequest.newBuilder()
                .setNode(sidecar)
                .setTypeUrl("type.googleapis.com/envoy.config.listener.v3.Listener")
                .build());
        DiscoveryResponse lds = answers.poll(10, TimeUnit.SECONDS);
        assertThat(lds).isNotNull();
        var inbound =
            lds.getResourcesList().stream()
                .map(a -> unpack(a, io.envoyproxy.envoy.config.listener.v3.Listener.class))
                .filter(l -> l.getName().equals("inbound|15006"))
                .findFirst()
                .orElseThrow();
        var hcm =
            inbound
                .getFilterChains(0)
                .getFilters(0)
                .getTypedConfig()
                .unpack(
                    io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3
                        .HttpConnectionManager.class);
        assertThat(hcm.getHttpFiltersList())
            .extracting(f -> f.getName())
            .containsExactly(
                "envoy.filters.http.ext_authz",
                "envoy.filters.http.ratelimit",
                "envoy.filters.http.router");
        var authz =
            hcm.getHttpFilters(0)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz.class);
        assertThat(authz.getGrpcService().getEnvoyGrpc().getClusterName())
            .isEqualTo(PolicyWiring.CLUSTER);
        assertThat(authz.getFailureModeAllow()).isFalse();
        var rl =
            hcm.getHttpFilters(1)
                .getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit.class);
        assertThat(rl.getDomain()).isEqualTo("mesh");
        assertThat(
                hcm.getAccessLog(0)
                    .getTypedConfig()
                    .unpack(
                        io.envoyproxy.envoy.extensions.access_loggers.grpc.v3
                            .HttpGrpcAccessLogConfig.class)
                    .getCommonConfig()
                    .getGrpcService()
                    .getEnvoyGrpc()
                    .getClusterName())
            .isEqualTo(PolicyWiring.CLUSTER);
        var route = hcm.getRouteConfig().getVirtualHosts(0).getRoutes(0);
        assertThat(route.getRoute().getCluster()).isEqualTo("inbound|9080||reviews.shop");
        assertThat(route.getRoute().getRateLimits(0).getActionsList())
            .extracting(
                a ->
                    a.hasGenericKey()
                        ? a.getGenericKey().getDescriptorKey()
                            + "="
                            + a.getGenericKey().getDescriptorValue()
                        : a.getRequestHeaders().getHeaderName()
                            + "->"
                            + a.getRequestHeaders().getDescriptorKey())
            .containsExactly("destination=reviews.shop", ":path->path", "x-tenant->tenant");

        requests.onNext(DiscoveryRequest.newBuilder().setNode(sidecar).setTypeUrl(CDS).build());
        DiscoveryResponse cds = answers.poll(10, TimeUnit.SECONDS);
        assertThat(cds).isNotNull();
        assertThat(clusterNames(cds.getResourcesList()))
            .contains(
                PolicyWiring.CLUSTER,
                "inbound|9080||reviews.shop",
                "outbound|9080|v1|reviews.shop");

        // The trust bundle from the wired SecretSource, by SDS over the same stream.
        requests.onNext(
            DiscoveryRequest.newBuilder()
                .setNode(sidecar)
                .setTypeUrl("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret")
                .addResourceNames("ROOTCA")
                .build());
        DiscoveryResponse sds = answers.poll(10, TimeUnit.SECONDS);
        assertThat(sds).isNotNull();
        assertThat(
                unpack(
                    sds.getResources(0),
                    io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.class))
            .isEqualTo(root);
        requests.onCompleted();
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void xdsOverTlsServesProxiesWithACertificateFromTheMeshAndNoOneElse() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY);
    Path pki =
        TestPki.workload(
            dir.resolve("pki"),
            "spiffe://cluster.local/ns/tollgate-system/sa/tollgate-pilot",
            List.of("127.0.0.1"));
    var credentials =
        io.grpc.TlsServerCredentials.newBuilder()
            .keyManager(pki.resolve("cert-chain.pem").toFile(), pki.resolve("key.pem").toFile())
            .trustManager(pki.resolve("root-cert.pem").toFile())
            .clientAuth(io.grpc.TlsServerCredentials.ClientAuth.REQUIRE)
            .build();
    try (PilotServer pilot =
        PilotServer.start(
            new PilotServer.Settings(
                dir,
                "127.0.0.1",
                0,
                Duration.ZERO,
                PolicyWiring.NONE,
                io.tollgate.pilot.xds.SecretSource.NONE,
                credentials),
            new PrometheusRegistry())) {
      // The proxy's certificate comes from the same root (here the same files, for brevity).
      ManagedChannel proxy =
          NettyChannelBuilder.forAddress(
                  "127.0.0.1",
                  pilot.port(),
                  io.grpc.TlsChannelCredentials.newBuilder()
                      .keyManager(
                          pki.resolve("cert-chain.pem").toFile(), pki.resolve("key.pem").toFile())
                      .trustManager(pki.resolve("root-cert.pem").toFile())
                      .build())
              .build();
      ManagedChannel anonymous =
          NettyChannelBuilder.forAddress(
                  "127.0.0.1",
                  pilot.port(),
                  io.grpc.TlsChannelCredentials.newBuilder()
                      .trustManager(pki.resolve("root-cert.pem").toFile())
                      .build())
              .build();
      try {
        BlockingQueue<DiscoveryResponse> answers = new LinkedBlockingQueue<>();
        var requests =
            AggregatedDiscoveryServiceGrpc.newStub(proxy).streamAggregatedResources(into(answers));
        requests.onNext(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CDS).build());
        assertThat(answers.poll(10, TimeUnit.SECONDS)).isNotNull();
        requests.onCompleted();

        BlockingQueue<Throwable> refused = new LinkedBlockingQueue<>();
        var stranger =
            AggregatedDiscoveryServiceGrpc.newStub(anonymous)
                .streamAggregatedResources(
                    new StreamObserver<>() {
                      @Override
                      public void onNext(DiscoveryResponse value) {}

                      @Override
                      public void onError(Throwable t) {
                        refused.add(t);
                      }

                      @Override
                      public void onCompleted() {}
                    });
        stranger.onNext(DiscoveryRequest.newBuilder().setNode(NODE).setTypeUrl(CDS).build());
        assertThat(refused.poll(10, TimeUnit.SECONDS))
            .isInstanceOfSatisfying(
                io.grpc.StatusRuntimeException.class,
                e ->
                    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE));
      } finally {
        proxy.shutdownNow();
        anonymous.shutdownNow();
      }
    }
  }

  @Test
  void proxylessRoutesGetExtAuthzOnlyWhenAskedFor() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY);
    var mesh = MeshLoader.load(dir);
    PolicyWiring wiring = PolicyWiring.of("127.0.0.1:9091", false, Duration.ofMillis(200), "mesh");
    for (boolean on : new boolean[] {false, true}) {
      var listener =
          Translator.translate(mesh, wiring.withProxylessExtAuthz(on)).listeners().get(0);
      var hcm =
          listener
              .getApiListener()
              .getApiListener()
              .unpack(
                  io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3
                      .HttpConnectionManager.class);
      assertThat(hcm.getHttpFiltersList())
          .extracting(f -> f.getName())
          .as("ext_authz asked for: %s", on)
          .isEqualTo(
              on
                  ? List.of(
                      "envoy.filters.http.fault",
                      "envoy.filters.http.ext_authz",
                      "envoy.filters.http.router")
                  : List.of("envoy.filters.http.fault", "envoy.filters.http.router"));
    }
  }

  static <T extends com.google.protobuf.Message> T unpack(
      com.google.protobuf.Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
