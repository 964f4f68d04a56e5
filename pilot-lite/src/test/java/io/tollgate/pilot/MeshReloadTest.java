package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher against real writers: a file rewritten in place piece by piece, and a ConfigMap mount
 * swapping its {@code ..data} link.
 */
class MeshReloadTest {
  static final int ENTRIES = 4;
  static final Node PROXYLESS =
      Node.newBuilder().setId("proxyless~127.0.0.1~tests.shop~shop.svc.cluster.local").build();

  @TempDir Path dir;

  /**
   * {@value #ENTRIES} ServiceEntries whose hosts name the round, so a version tells which writing
   * it came from.
   */
  static List<String> documents(int round) {
    return IntStream.range(0, ENTRIES)
        .mapToObj(
            j ->
                """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: svc%1$d, namespace: shop}
        spec:
          hosts: [svc%1$d.r%2$d.shop]
          ports: [{number: 80, name: http}]
          endpoints: [{address: 10.0.%2$d.%1$d}]
        """
                    .formatted(j, round))
        .toList();
  }

  static String mesh(int round) {
    return String.join("---\n", documents(round));
  }

  static Set<String> clusters(int round) {
    return IntStream.range(0, ENTRIES)
        .mapToObj(j -> "outbound|80||svc" + j + ".r" + round + ".shop")
        .collect(Collectors.toSet());
  }

  /**
   * The pieces a slow writer writes: each document in two halves, so the file is by turns valid
   * YAML with fewer entries (the dangerous case: it would load) and a broken document.
   */
  static List<String> pieces(int round) {
    List<String> out = new ArrayList<>();
    List<String> docs = documents(round);
    for (int i = 0; i < docs.size(); i++) {
      String doc = (i == 0 ? "" : "---\n") + docs.get(i);
      int half = doc.indexOf("spec:");
      out.add(doc.substring(0, half));
      out.add(doc.substring(half));
    }
    return out;
  }

  /** Every CDS answer a proxyless client gets, each acknowledged so the next version comes too. */
  static final class ClusterStream implements StreamObserver<DiscoveryResponse> {
    final BlockingQueue<Set<String>> versions = new LinkedBlockingQueue<>();
    final StreamObserver<DiscoveryRequest> requests;

    ClusterStream(ManagedChannel ch) {
      requests = AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(this);
      requests.onNext(
          DiscoveryRequest.newBuilder().setNode(PROXYLESS).setTypeUrl(AdsProtocolTest.CDS).build());
    }

    @Override
    public void onNext(DiscoveryResponse r) {
      try {
        versions.add(Set.copyOf(AdsProtocolTest.clusterNames(r.getResourcesList())));
      } catch (Exception e) {
        versions.add(Set.of("unreadable: " + e));
      }
      requests.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(PROXYLESS)
              .setTypeUrl(AdsProtocolTest.CDS)
              .setVersionInfo(r.getVersionInfo())
              .setResponseNonce(r.getNonce())
              .build());
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  static double reloads(PrometheusRegistry registry, String result) {
    return registry.scrape().stream()
        .filter(m -> m.getMetadata().getName().equals("tollgate_pilot_reloads"))
        .flatMap(m -> m.getDataPoints().stream())
        .filter(d -> result.equals(d.getLabels().get("result")))
        .mapToDouble(
            d ->
                ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) d)
                    .getValue())
        .sum();
  }

  /**
   * Until the watcher has looked at the files twice more: at least once entirely after whatever was
   * just written.
   */
  static void awaitTwoPolls(PilotServer pilot) {
    long seen = pilot.polls();
    await()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> pilot.polls() >= seen + 2);
  }

  @Test
  void aFileRewrittenInPlaceSlowlyIsNeverServedHalfWritten() throws Exception {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, mesh(0));
    PrometheusRegistry registry = new PrometheusRegistry();
    int rounds = 4;
    try (PilotServer pilot =
        PilotServer.start(
            new PilotServer.Settings(dir, "127.0.0.1", 0, Duration.ofMillis(10))
                .withSettle(Duration.ofSeconds(3)),
            registry)) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", pilot.port()).usePlaintext().build();
      try {
        ClusterStream client = new ClusterStream(ch);
        assertThat(client.versions.poll(10, TimeUnit.SECONDS)).isEqualTo(clusters(0));
        for (int round = 1; round <= rounds; round++) {
          // Truncated, then written a piece at a time, each piece seen by the watcher before the
          // next.
          try (FileChannel out =
              FileChannel.open(
                  file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            awaitTwoPolls(pilot);
            for (String piece : pieces(round)) {
              out.write(ByteBuffer.wrap(piece.getBytes(StandardCharsets.UTF_8)));
              awaitTwoPolls(pilot);
            }
          }
          assertThat(Files.readString(file)).isEqualTo(mesh(round));
          int done = round;
          await().atMost(Duration.ofSeconds(20)).until(() -> reloads(registry, "success") >= done);
          assertThat(client.versions.poll(10, TimeUnit.SECONDS))
              .as("round %d", round)
              .isEqualTo(clusters(round));
        }
        // One version per writing, none from a piece of one: no failed reload, no extra one,
        // nothing else sent.
        assertThat(reloads(registry, "failure")).isZero();
        assertThat(reloads(registry, "success")).isEqualTo(rounds);
        assertThat(client.versions).isEmpty();
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void aConfigMapMountSwappingItsDataLinkReachesTheNewVersion() throws Exception {
    Path v1 = Files.createDirectory(dir.resolve("..2025_01_01_00_00_00.000000001"));
    Files.writeString(v1.resolve("mesh.yaml"), mesh(1));
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Files.createSymbolicLink(dir.resolve("mesh.yaml"), Path.of("..data/mesh.yaml"));
    PrometheusRegistry registry = new PrometheusRegistry();
    try (PilotServer pilot =
        PilotServer.start(
            new PilotServer.Settings(dir, "127.0.0.1", 0, Duration.ofMillis(20))
                .withSettle(Duration.ofMillis(100)),
            registry)) {
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", pilot.port()).usePlaintext().build();
      try {
        ClusterStream client = new ClusterStream(ch);
        assertThat(client.versions.poll(10, TimeUnit.SECONDS)).isEqualTo(clusters(1));
        String first = pilot.version();

        // The kubelet's update: the new files in a new directory, a new link to it renamed over
        // ..data, the old directory removed.
        Path v2 = Files.createDirectory(dir.resolve("..2025_01_01_00_01_00.000000002"));
        Files.writeString(v2.resolve("mesh.yaml"), mesh(2));
        Files.setLastModifiedTime(
            v2.resolve("mesh.yaml"), Files.getLastModifiedTime(v1.resolve("mesh.yaml")));
        Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(
            dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        Files.delete(v1.resolve("mesh.yaml"));
        Files.delete(v1);

        assertThat(client.versions.poll(10, TimeUnit.SECONDS)).isEqualTo(clusters(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads(registry, "success") == 1);
        assertThat(pilot.version()).isNotEqualTo(first);
        assertThat(reloads(registry, "failure")).isZero();
      } finally {
        ch.shutdownNow();
      }
    }
  }
}
