package io.tollgate.testing;

/**
 * {@code EnvoyConfigs} writes the pieces of Envoy bootstrap YAML that tests repeat: static clusters
 * (gRPC with HTTP/2, or plain HTTP/1.1) to a loopback port, and an HTTP listener whose filters sit
 * in front of the router. Indentation is that of the {@code static_resources} lists.
 */
public final class EnvoyConfigs {
  private EnvoyConfigs() {}

  /** A cluster speaking HTTP/2 (gRPC) to 127.0.0.1:{@code port}. */
  public static String grpcCluster(String name, int port) {
    return """
          - name: %s
            type: STATIC
            connect_timeout: 1s
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                explicit_http_config: {http2_protocol_options: {}}
            load_assignment:
              cluster_name: %s
              endpoints:
              - lb_endpoints:
                - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}
        """
        .formatted(name, name, port);
  }

  /** A cluster speaking HTTP/1.1 to 127.0.0.1:{@code port}. */
  public static String httpCluster(String name, int port) {
    return """
          - name: %s
            type: STATIC
            connect_timeout: 1s
            load_assignment:
              cluster_name: %s
              endpoints:
              - lb_endpoints:
                - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}
        """
        .formatted(name, name, port);
  }

  /**
   * A listener on 127.0.0.1:{@code port} whose connection manager (stats under {@code
   * http.<statPrefix>.}) runs {@code httpFilters} and then the router, with one virtual host for
   * every domain whose routes are {@code routes}; both are YAML list items written from column 0.
   */
  public static String listener(String statPrefix, int port, String httpFilters, String routes) {
    return listener(statPrefix, port, "", httpFilters, routes);
  }

  /**
   * {@link #listener(String, int, String, String)} with more connection manager settings ({@code
   * hcmExtra}, YAML written from column 0, such as {@code use_remote_address: true}).
   */
  public static String listener(
      String statPrefix, int port, String hcmExtra, String httpFilters, String routes) {
    return """
          - name: %s
            address: {socket_address: {address: 127.0.0.1, port_value: %d}}
            filter_chains:
            - filters:
              - name: envoy.filters.network.http_connection_manager
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stat_prefix: %s
        %s
                  route_config:
                    virtual_hosts:
                    - name: all
                      domains: ["*"]
                      routes:
        %s
                  http_filters:
        %s
                  - name: envoy.filters.http.router
                    typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
        """
        .formatted(
            statPrefix,
            port,
            statPrefix,
            hcmExtra.indent(10).stripTrailing(),
            routes.indent(14).stripTrailing(),
            httpFilters.indent(10).stripTrailing());
  }

  /** A route sending every path to {@code cluster}. */
  public static String routeAll(String cluster) {
    return "- match: {prefix: \"/\"}\n  route: {cluster: " + cluster + "}\n";
  }

  /** A bootstrap of static listeners and clusters (each the concatenation of the methods above). */
  public static String staticBootstrap(String listeners, String clusters) {
    return "static_resources:\n  listeners:\n" + listeners + "  clusters:\n" + clusters;
  }
}
