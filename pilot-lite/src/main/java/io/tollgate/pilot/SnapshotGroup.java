package io.tollgate.pilot;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.tollgate.pilot.xds.SidecarPorts;

/**
 * {@code SnapshotGroup} names the nodes that get the same configuration, the key of their snapshot
 * in the cache: proxyless clients ({@code host} null) share {@link #PROXYLESS}; Envoy sidecars are
 * grouped by the ServiceEntry host they serve and the ports they listen on.
 */
record SnapshotGroup(String host, SidecarPorts ports) {
  static final SnapshotGroup PROXYLESS = new SnapshotGroup(null, null);

  /**
   * Where the cache would look for a refused node (it never does: the stream ends first); no
   * snapshot is ever set there.
   */
  static final SnapshotGroup REFUSED = new SnapshotGroup("", null);

  /**
   * The group of {@code node}: proxyless clients (no {@value PilotServer#SERVICE_METADATA}) share
   * one; a sidecar's names its host and its ports, those of its metadata or else {@code defaults}.
   * Throws {@link IllegalArgumentException} when the ports are invalid.
   */
  static SnapshotGroup of(Node node, SidecarPorts defaults) {
    var field = node.getMetadata().getFieldsMap().get(PilotServer.SERVICE_METADATA);
    if (field == null || field.getStringValue().isEmpty()) {
      return PROXYLESS;
    }
    return new SnapshotGroup(
        field.getStringValue(), SidecarPorts.fromMetadata(node.getMetadata(), defaults));
  }

  /** As {@link #of}, with {@link #REFUSED} for a node whose metadata is invalid. */
  static SnapshotGroup ofOrRefused(Node node, SidecarPorts defaults) {
    try {
      return of(node, defaults);
    } catch (IllegalArgumentException e) {
      return REFUSED;
    }
  }

  boolean isSidecar() {
    return host != null;
  }
}
