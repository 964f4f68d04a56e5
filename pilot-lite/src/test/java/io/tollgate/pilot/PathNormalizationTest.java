package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.PathWithEscapedSlashesAction;
import io.tollgate.pilot.model.MeshLoader;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.SidecarPorts;
import io.tollgate.pilot.xds.Sidecars;
import io.tollgate.pilot.xds.Translator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every HTTP connection manager a sidecar gets, and the shipped front proxy's, normalizes paths as
 * Istio does, so that Envoy, the policy server and the workload see the same path.
 */
class PathNormalizationTest {
  @TempDir Path dir;

  static void assertNormalizes(HttpConnectionManager hcm, String what) {
    assertThat(hcm.hasNormalizePath()).as(what + " normalize_path set").isTrue();
    assertThat(hcm.getNormalizePath().getValue()).as(what + " normalize_path").isTrue();
    assertThat(hcm.getMergeSlashes()).as(what + " merge_slashes").isTrue();
    assertThat(hcm.getPathWithEscapedSlashesAction())
        .as(what + " path_with_escaped_slashes_action")
        .isEqualTo(PathWithEscapedSlashesAction.UNESCAPE_AND_REDIRECT);
  }

  @Test
  void inboundAndOutboundSidecarListenersNormalizePaths() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), MeshLoaderTest.ENTRY);
    var mesh = MeshLoader.load(dir);
    for (PolicyWiring wiring : List.of(SidecarsTest.WIRING, PolicyWiring.NONE)) {
      List<Listener> listeners =
          Sidecars.forWorkload(
                  mesh,
                  Translator.translate(mesh, wiring),
                  "reviews.shop",
                  SidecarPorts.DEFAULT,
                  wiring)
              .listeners();
      assertThat(listeners).extracting(Listener::getName).anyMatch(n -> n.startsWith("inbound|"));
      assertThat(listeners).extracting(Listener::getName).anyMatch(n -> n.startsWith("outbound|"));
      for (Listener l : listeners) {
        assertNormalizes(
            AdsProtocolTest.unpack(
                l.getFilterChains(0).getFilters(0).getTypedConfig(), HttpConnectionManager.class),
            l.getName());
      }
    }
  }

  @Test
  void theShippedFrontProxyNormalizesPaths() throws Exception {
    Object yaml =
        new ObjectMapper(new YAMLFactory())
            .readValue(Path.of("../deploy/envoy/front-proxy.yaml").toFile(), Object.class);
    Bootstrap.Builder b = Bootstrap.newBuilder();
    JsonFormat.parser()
        .usingTypeRegistry(
            JsonFormat.TypeRegistry.newBuilder()
                .add(HttpConnectionManager.getDescriptor())
                .add(
                    io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                        .getDescriptor())
                .add(
                    io.envoyproxy.envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
                        .getDescriptor())
                .add(
                    io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit
                        .getDescriptor())
                .add(io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor())
                .add(
                    io.envoyproxy.envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig
                        .getDescriptor())
                .build())
        .merge(new ObjectMapper().writeValueAsString(yaml), b);
    List<Listener> listeners = b.build().getStaticResources().getListenersList();
    assertThat(listeners).isNotEmpty();
    for (Listener l : listeners) {
      assertNormalizes(
          l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class),
          l.getName());
    }
  }
}
