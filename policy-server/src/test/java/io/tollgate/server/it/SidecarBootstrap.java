package io.tollgate.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code SidecarBootstrap} is the shipped sidecar bootstrap, {@code deploy/envoy/bootstrap.yaml},
 * adapted for a test only by ports and addresses: the node's id and metadata (the service it serves
 * and its listener ports), pilot-lite's address, the agent's SDS socket. The admin section is left
 * to {@link io.tollgate.testing.EnvoyLauncher}.
 */
final class SidecarBootstrap {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private SidecarBootstrap() {}

  static Path shipped() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve("deploy/envoy/bootstrap.yaml");
      if (Files.exists(p)) {
        return p;
      }
    }
    throw new AssertionError(
        "deploy/envoy/bootstrap.yaml not found above " + Path.of("").toAbsolutePath());
  }

  /**
   * The bootstrap for a sidecar of {@code service} (a ServiceEntry host) whose inbound listener is
   * on 127.0.0.1:{@code inboundPort} and outbound on 127.0.0.1:{@code outboundPort}, talking to
   * pilot-lite on 127.0.0.1:{@code xdsPort}; {@code sdsSocket} may be null when no certificate is
   * needed (the sds-grpc cluster then keeps its shipped path and is never used).
   */
  static String of(
      String nodeId,
      String service,
      int inboundPort,
      int outboundPort,
      int xdsPort,
      Path sdsSocket) {
    try {
      ObjectNode root = (ObjectNode) YAML.readTree(shipped().toFile());
      root.remove("admin");
      ObjectNode node = (ObjectNode) root.get("node");
      node.put("id", nodeId);
      node.put("cluster", service);
      ObjectNode metadata = (ObjectNode) node.get("metadata");
      metadata.put("TOLLGATE_SERVICE", service);
      metadata.put("TOLLGATE_INBOUND_ADDRESS", "127.0.0.1");
      metadata.put("TOLLGATE_INBOUND_PORT", Integer.toString(inboundPort));
      metadata.put("TOLLGATE_OUTBOUND_PORT", Integer.toString(outboundPort));
      for (JsonNode c : root.at("/static_resources/clusters")) {
        ObjectNode endpoint =
            (ObjectNode) c.at("/load_assignment/endpoints/0/lb_endpoints/0/endpoint");
        switch (c.get("name").asText()) {
          case "pilot-lite" -> {
            ObjectNode socket = (ObjectNode) endpoint.at("/address/socket_address");
            socket.put("address", "127.0.0.1");
            socket.put("port_value", xdsPort);
          }
          case "sds-grpc" -> {
            if (sdsSocket != null) {
              ((ObjectNode) endpoint.at("/address/pipe")).put("path", sdsSocket.toString());
            }
          }
          default ->
              throw new AssertionError(
                  "deploy/envoy/bootstrap.yaml has a cluster this test does not know: " + c);
        }
      }
      return YAML.writeValueAsString(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
