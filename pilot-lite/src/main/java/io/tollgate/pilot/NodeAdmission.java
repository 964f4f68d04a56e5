package io.tollgate.pilot;

import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Status;
import io.tollgate.pilot.xds.SidecarPorts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code NodeAdmission} decides, before the cache sees a request, whether its node is served: a
 * node whose port or address metadata is invalid is refused ({@code INVALID_ARGUMENT} saying which
 * key and value; logged and counted) rather than given listeners where its traffic does not arrive;
 * the first node of a new sidecar group has that group's snapshot made.
 */
final class NodeAdmission implements XdsCallbacks.Admission {
  private static final Logger log = LoggerFactory.getLogger(NodeAdmission.class);

  private final SidecarPorts defaults;
  private final SnapshotPublisher publisher;
  private final PilotMetrics metrics;

  /** {@code defaults}: the ports of sidecars whose metadata names none. */
  NodeAdmission(SidecarPorts defaults, SnapshotPublisher publisher, PilotMetrics metrics) {
    this.defaults = defaults;
    this.publisher = publisher;
    this.metrics = metrics;
  }

  /** The group of {@code node}; see {@link SnapshotGroup#of}. */
  SnapshotGroup group(Node node) {
    return SnapshotGroup.of(node, defaults);
  }

  @Override
  public void admit(Node node) throws RequestException {
    SnapshotGroup g;
    try {
      g = group(node);
    } catch (IllegalArgumentException e) {
      metrics.refused.inc();
      log.warn(
          "refused xDS to node {}: {}; it gets no configuration until its metadata is fixed",
          node.getId(),
          e.getMessage());
      throw new RequestException(
          Status.INVALID_ARGUMENT.withDescription(
              "tollgate pilot refuses node " + node.getId() + ": " + e.getMessage()));
    }
    if (g.isSidecar()) {
      publisher.addSidecar(g, node.getId());
    }
  }
}
