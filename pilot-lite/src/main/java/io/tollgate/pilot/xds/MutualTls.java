package io.tollgate.pilot.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateProviderPluginInstance;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;

/**
 * Mutual TLS with the workload certificates (a DestinationRule's {@code tls.mode: ISTIO_MUTUAL}).
 * Proxyless gRPC takes its certificate and trust bundle from the certificate provider instance
 * {@value #PROVIDER} of its bootstrap (a {@code file_watcher} over the agent's files); Envoy
 * sidecars take them by SDS: {@code default} from the agent's socket (cluster {@value #AGENT_SDS}
 * in the bootstrap), {@code ROOTCA} from pilot-lite over ADS.
 */
public final class MutualTls {
  public static final String PROVIDER = "default";
  public static final String AGENT_SDS = "sds-grpc";
  static final String TLS_SOCKET = "envoy.transport_sockets.tls";

  private MutualTls() {}

  static CommonTlsContext proxyless() {
    CertificateProviderPluginInstance instance =
        CertificateProviderPluginInstance.newBuilder()
            .setInstanceName(PROVIDER)
            .setCertificateName(PROVIDER)
            .build();
    return CommonTlsContext.newBuilder()
        .setTlsCertificateProviderInstance(instance)
        .setValidationContext(
            CertificateValidationContext.newBuilder()
                .setCaCertificateProviderInstance(
                    instance.toBuilder().setCertificateName("ROOTCA")))
        .build();
  }

  static CommonTlsContext sidecar() {
    ConfigSource agent =
        ConfigSource.newBuilder()
            .setResourceApiVersion(ApiVersion.V3)
            .setApiConfigSource(
                ApiConfigSource.newBuilder()
                    .setApiType(ApiConfigSource.ApiType.GRPC)
                    .setTransportApiVersion(ApiVersion.V3)
                    .addGrpcServices(
                        GrpcService.newBuilder()
                            .setEnvoyGrpc(
                                GrpcService.EnvoyGrpc.newBuilder().setClusterName(AGENT_SDS))))
            .build();
    return CommonTlsContext.newBuilder()
        .addTlsCertificateSdsSecretConfigs(
            SdsSecretConfig.newBuilder().setName("default").setSdsConfig(agent))
        .setValidationContextSdsSecretConfig(
            SdsSecretConfig.newBuilder().setName("ROOTCA").setSdsConfig(Protos.ADS))
        .build();
  }

  static TransportSocket upstream(CommonTlsContext context) {
    return TransportSocket.newBuilder()
        .setName(TLS_SOCKET)
        .setTypedConfig(
            Any.pack(UpstreamTlsContext.newBuilder().setCommonTlsContext(context).build()))
        .build();
  }

  static TransportSocket downstream(CommonTlsContext context) {
    return TransportSocket.newBuilder()
        .setName(TLS_SOCKET)
        .setTypedConfig(
            Any.pack(
                DownstreamTlsContext.newBuilder()
                    .setCommonTlsContext(context)
                    .setRequireClientCertificate(BoolValue.of(true))
                    .build()))
        .build();
  }

  static boolean istioMutual(io.tollgate.pilot.model.DestinationRule.TrafficPolicy policy) {
    return policy != null && policy.tls() != null && "ISTIO_MUTUAL".equals(policy.tls().mode());
  }
}
