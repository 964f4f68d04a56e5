package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * deploy/envoy/bootstrap.yaml parses as Envoy's Bootstrap (no unknown field) and points ADS at
 * pilot-lite.
 */
class EnvoyBootstrapTest {
  @Test
  void theShippedBootstrapIsAValidEnvoyBootstrap() throws Exception {
    Object yaml =
        new ObjectMapper(new YAMLFactory())
            .readValue(Path.of("../deploy/envoy/bootstrap.yaml").toFile(), Object.class);
    String json = new ObjectMapper().writeValueAsString(yaml);
    Bootstrap.Builder b = Bootstrap.newBuilder();
    JsonFormat.parser()
        .usingTypeRegistry(
            JsonFormat.TypeRegistry.newBuilder()
                .add(
                    io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                        .getDescriptor())
                .build())
        .merge(json, b);
    Bootstrap bootstrap = b.build();
    assertThat(
            bootstrap
                .getDynamicResources()
                .getAdsConfig()
                .getGrpcServices(0)
                .getEnvoyGrpc()
                .getClusterName())
        .isEqualTo("pilot-lite");
    assertThat(
            bootstrap
                .getStaticResources()
                .getClusters(1)
                .getLoadAssignment()
                .getEndpoints(0)
                .getLbEndpoints(0)
                .getEndpoint()
                .getAddress()
                .getSocketAddress()
                .getPortValue())
        .isEqualTo(15010);
    assertThat(bootstrap.getStaticResources().getClusters(0).getName())
        .isEqualTo(io.tollgate.pilot.xds.MutualTls.AGENT_SDS);
    assertThat(
            bootstrap
                .getNode()
                .getMetadata()
                .getFieldsOrThrow(PilotServer.SERVICE_METADATA)
                .getStringValue())
        .isEqualTo("reviews.shop");
    assertThat(
            io.tollgate.pilot.xds.SidecarPorts.fromMetadata(
                bootstrap.getNode().getMetadata(),
                new io.tollgate.pilot.xds.SidecarPorts(1, 2, "127.0.0.1")))
        .isEqualTo(io.tollgate.pilot.xds.SidecarPorts.DEFAULT);
  }
}
