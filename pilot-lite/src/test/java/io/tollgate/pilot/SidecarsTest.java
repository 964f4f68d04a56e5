package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.pilot.model.MeshLoader;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.SidecarPorts;
import io.tollgate.pilot.xds.Sidecars;
import io.tollgate.pilot.xds.Translator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an Envoy sidecar gets: listeners on the ports its node names, and an inbound route that
 * names the workload it protects.
 */
class SidecarsTest {
  static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  static final PolicyWiring WIRING =
      PolicyWiring.of("policy.tollgate:9091", false, Duration.ofMillis(250), "mesh");

  @TempDir Path dir;

  static Node sidecar(String id, Map<String, String> metadata) {
    Struct.Builder m =
        Struct.newBuilder()
            .putFields(
                PilotServer.SERVICE_METADATA,
                Value.newBuilder().setStringValue("reviews.shop").build());
    metadata.forEach((k, v) -> m.putFields(k, Value.newBuilder().setStringValue(v).build()));
    return Node.newBuilder().setId(id).setCluster("reviews").setMetadata(m).build();
  }

  /**
   * One ADS stream asking for listeners; every answer is acknowledged, so the next version comes
   * too.
   */
  static final class ListenerStream implements StreamObserver<DiscoveryResponse> {
    final BlockingQueue<DiscoveryResponse> answers = new LinkedBlockingQueue<>();
    final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    final Node node;
    final StreamObserver<DiscoveryRequest> requests;

    ListenerStream(ManagedChannel ch, Node node) {
      this.node = node;
      requests = AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(this);
      requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(LDS).build());
    }

    @Override
    public void onNext(DiscoveryResponse r) {
      answers.add(r);
      requests.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(node)
              .setTypeUrl(LDS)
              .setVersionInfo(r.getVersionInfo())
              .setResponseNonce(r.getNonce())
              .build());
    }

    @Override
    public void onError(Throwable t) {
      errors.add(t);
    }

    @Override
    public void onCompleted() {}

    /** Name to {@code address:port} of the listeners of the next answer. */
    Map<String, String> next() throws Exception {
      DiscoveryResponse r = answers.poll(10, TimeUnit.SECONDS);
      assertThat(r).as("an LDS answer for %s", node.getId()).isNotNull();
      return listeners(r).stream()
          .collect(
              Collectors.toMap(
                  Listener::getName,
                  l ->
                      l.getAddress().getSocketAddress().getAddress()
                          + ":"
                          + l.getAddress().getSocketAddress().getPortValue()));
    }
  }

  static List<Listener> listeners(DiscoveryResponse r) {
    return r.getResourcesList().stream()
        .map(a -> AdsProtocolTest.unpack(a, Listener.class))
        .toList();
  }

  @Test
  void twoSidecarsOfOneHostWithDifferentPortsEachGetTheirOwnListenersAndBothFollowAnEdit()
      throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY);
    SidecarPorts defaults = new SidecarPorts(14006, 14001, "0.0.0.0");
    try (PilotServer pilot =
        PilotServer.start(
            new PilotServer.Settings(dir, "127.0.0.1", 0, Duration.ofMillis(20), WIRING)
                .withSidecarPorts(defaults)
                .withSettle(Duration.ofMillis(50)),
            new PrometheusRegistry())) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", pilot.port()).usePlaintext().build();
      try {
        ListenerStream plain =
            new ListenerStream(
                ch, sidecar("sidecar~10.0.0.7~reviews-1.shop~shop.svc.cluster.local", Map.of()));
        ListenerStream own =
            new ListenerStream(
                ch,
                sidecar(
                    "sidecar~10.0.0.7~reviews-2.shop~shop.svc.cluster.local",
                    Map.of(
                        SidecarPorts.INBOUND_PORT,
                        "16006",
                        SidecarPorts.OUTBOUND_PORT,
                        "16001",
                        SidecarPorts.INBOUND_ADDRESS,
                        "10.0.0.7")));
        ListenerStream inboundOnly =
            new ListenerStream(
                ch,
                sidecar(
                    "sidecar~10.0.0.7~reviews-3.shop~shop.svc.cluster.local",
                    Map.of(SidecarPorts.INBOUND_PORT, "17006")));
        assertThat(plain.next())
            .containsOnly(
                Map.entry("inbound|14006", "0.0.0.0:14006"),
                Map.entry("outbound|14001", "127.0.0.1:14001"));
        assertThat(own.next())
            .containsOnly(
                Map.entry("inbound|16006", "10.0.0.7:16006"),
                Map.entry("outbound|16001", "127.0.0.1:16001"));
        assertThat(inboundOnly.next())
            .containsOnly(
                Map.entry("inbound|17006", "0.0.0.0:17006"),
                Map.entry("outbound|14001", "127.0.0.1:14001"));
        assertThat(pilot.group(plain.node)).isNotEqualTo(pilot.group(own.node));

        // A new version reaches every group on its own ports.
        Files.writeString(
            dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY.replace("number: 9080", "number: 9081"));
        for (ListenerStream s : List.of(plain, own, inboundOnly)) {
          DiscoveryResponse r = s.answers.poll(10, TimeUnit.SECONDS);
          assertThat(r).as("the new version for %s", s.node.getId()).isNotNull();
          Listener inbound =
              listeners(r).stream()
                  .filter(l -> l.getName().startsWith("inbound|"))
                  .findFirst()
                  .orElseThrow();
          assertThat(inboundRoute(inbound).getRoute().getCluster())
              .isEqualTo("inbound|9081||reviews.shop");
        }
        assertThat(plain.errors).isEmpty();
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void aSidecarWithBadPortMetadataIsRefusedByNameAndCountedAndOthersAreServed() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY);
    PrometheusRegistry registry = new PrometheusRegistry();
    try (PilotServer pilot =
        PilotServer.start(
            new PilotServer.Settings(dir, "127.0.0.1", 0, Duration.ZERO, WIRING), registry)) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", pilot.port()).usePlaintext().build();
      try {
        ListenerStream bad =
            new ListenerStream(
                ch,
                sidecar(
                    "sidecar~10.0.0.8~reviews-9.shop~shop.svc.cluster.local",
                    Map.of(SidecarPorts.INBOUND_PORT, "15006x")));
        Throwable error = bad.errors.poll(10, TimeUnit.SECONDS);
        assertThat(error)
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> {
                  assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                  assertThat(e.getStatus().getDescription())
                      .isEqualTo(
                          "tollgate pilot refuses node sidecar~10.0.0.8~reviews-9.shop~shop.svc.cluster.local:"
                              + " node metadata TOLLGATE_INBOUND_PORT: '15006x' is not a port (1-65535)");
                });
        assertThat(bad.answers).isEmpty();
        assertThat(counter(registry, "tollgate_pilot_refused_requests")).isEqualTo(1.0);

        ListenerStream good =
            new ListenerStream(
                ch, sidecar("sidecar~10.0.0.7~reviews-1.shop~shop.svc.cluster.local", Map.of()));
        assertThat(good.next())
            .containsOnly(
                Map.entry("inbound|15006", "0.0.0.0:15006"),
                Map.entry("outbound|15001", "127.0.0.1:15001"));
        // Equal ports would make Envoy fail to bind the second listener: refused too.
        ListenerStream clash =
            new ListenerStream(
                ch,
                sidecar(
                    "sidecar~10.0.0.9~reviews-8.shop~shop.svc.cluster.local",
                    Map.of(SidecarPorts.OUTBOUND_PORT, "15006")));
        assertThat(clash.errors.poll(10, TimeUnit.SECONDS))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e ->
                    assertThat(e.getStatus().getDescription())
                        .endsWith(
                            "the inbound and the outbound port are both 15006; they must differ"));
        await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> counter(registry, "tollgate_pilot_refused_requests") == 2.0);
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void theInboundRouteTellsExtAuthzWhichWorkloadItProtects() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY);
    var mesh = MeshLoader.load(dir);
    Translator.Resources shared = Translator.translate(mesh, WIRING);
    Route route =
        inboundRoute(
            inbound(
                Sidecars.forWorkload(mesh, shared, "reviews.shop", SidecarPorts.DEFAULT, WIRING)));
    assertThat(route.getTypedPerFilterConfigMap()).containsOnlyKeys("envoy.filters.http.ext_authz");
    ExtAuthzPerRoute perRoute =
        route
            .getTypedPerFilterConfigOrThrow("envoy.filters.http.ext_authz")
            .unpack(ExtAuthzPerRoute.class);
    assertThat(perRoute.getCheckSettings().getContextExtensionsMap())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "destination.service.host",
                "reviews.shop",
                "destination.service.namespace",
                "shop"));

    // Without a namespace in the ServiceEntry there is none to tell.
    Files.writeString(
        dir.resolve("mesh.yaml"),
        MeshLoaderTest.ENTRY.replace(
            "metadata: {name: reviews, namespace: shop}\nspec:\n  hosts",
            "metadata: {name: reviews}\nspec:\n  hosts"));
    var bare = MeshLoader.load(dir);
    assertThat(bare.serviceEntries().get(0).resource().metadata().namespace()).isNull();
    Route bareRoute =
        inboundRoute(
            inbound(
                Sidecars.forWorkload(
                    bare,
                    Translator.translate(bare, WIRING),
                    "reviews.shop",
                    SidecarPorts.DEFAULT,
                    WIRING)));
    assertThat(
            bareRoute
                .getTypedPerFilterConfigOrThrow("envoy.filters.http.ext_authz")
                .unpack(ExtAuthzPerRoute.class)
                .getCheckSettings()
                .getContextExtensionsMap())
        .containsExactlyEntriesOf(Map.of("destination.service.host", "reviews.shop"));

    // No policy server, no ext_authz filter, nothing for it.
    Route unwired =
        inboundRoute(
            inbound(
                Sidecars.forWorkload(
                    mesh,
                    Translator.translate(mesh, PolicyWiring.NONE),
                    "reviews.shop",
                    SidecarPorts.DEFAULT,
                    PolicyWiring.NONE)));
    assertThat(unwired.getTypedPerFilterConfigMap()).isEmpty();
  }

  static Listener inbound(Translator.Resources r) {
    List<Listener> in =
        new ArrayList<>(
            r.listeners().stream().filter(l -> l.getName().startsWith("inbound|")).toList());
    assertThat(in).hasSize(1);
    return in.get(0);
  }

  static Route inboundRoute(Listener inbound) {
    HttpConnectionManager hcm =
        AdsProtocolTest.unpack(
            inbound.getFilterChains(0).getFilters(0).getTypedConfig(), HttpConnectionManager.class);
    return hcm.getRouteConfig().getVirtualHosts(0).getRoutes(0);
  }

  static double counter(PrometheusRegistry registry, String name) {
    return registry.scrape().stream()
        .filter(m -> m.getMetadata().getName().equals(name))
        .flatMap(m -> m.getDataPoints().stream())
        .mapToDouble(
            d ->
                ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) d)
                    .getValue())
        .sum();
  }
}
