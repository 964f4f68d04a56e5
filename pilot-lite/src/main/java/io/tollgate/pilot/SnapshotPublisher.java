package io.tollgate.pilot;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.tollgate.pilot.model.Mesh;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.SecretSource;
import io.tollgate.pilot.xds.SidecarPorts;
import io.tollgate.pilot.xds.Sidecars;
import io.tollgate.pilot.xds.Translator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code SnapshotPublisher} keeps the cache's snapshots those of the serving mesh: it translates
 * each new mesh once for proxyless clients, and makes the snapshot of every sidecar group nodes
 * have asked for (its own resources and secrets), when the group first asks and again with every
 * mesh. A version is a digest of the resources, so a mesh that translates to the same resources is
 * not a new version.
 *
 * <p>Thread-safe: meshes are published by the watcher thread, sidecar groups added by the streams'
 * threads, one at a time under one lock.
 */
final class SnapshotPublisher {
  private static final Logger log = LoggerFactory.getLogger(SnapshotPublisher.class);

  private final SimpleCache<SnapshotGroup> cache;
  private final PolicyWiring policy;
  private final SecretSource secrets;
  private final PilotMetrics metrics;

  /**
   * The sidecar groups nodes have asked for; added to, and their snapshots set, only under {@code
   * lock}.
   */
  private final Set<SnapshotGroup> sidecars = ConcurrentHashMap.newKeySet();

  private final Object lock = new Object();

  /** The serving mesh and its shared resources; guarded by {@code lock}. */
  private Mesh mesh;

  private Translator.Resources shared;

  private volatile String version = "";

  /** {@code sidecarPorts}: the ports of sidecars whose metadata names none. */
  SnapshotPublisher(
      SidecarPorts sidecarPorts, PolicyWiring policy, SecretSource secrets, PilotMetrics metrics) {
    this.cache = new SimpleCache<>(node -> SnapshotGroup.ofOrRefused(node, sidecarPorts));
    this.policy = policy;
    this.secrets = secrets;
    this.metrics = metrics;
    cache.setSnapshot(SnapshotGroup.PROXYLESS, Snapshot.createEmpty(""));
  }

  /** The cache the discovery server answers from. */
  SimpleCache<SnapshotGroup> cache() {
    return cache;
  }

  /** The serving configuration's version (a digest of its resources). */
  String version() {
    return version;
  }

  /** Makes {@code next} the serving mesh: the snapshots of proxyless clients and every sidecar. */
  void publish(Mesh next) {
    long t0 = System.nanoTime();
    synchronized (lock) {
      Translator.Resources r = Translator.translate(next, policy);
      mesh = next;
      shared = r;
      String v = Snapshots.digest(r);
      cache.setSnapshot(SnapshotGroup.PROXYLESS, Snapshots.of(r, List.of(), v));
      for (SnapshotGroup g : sidecars) {
        publishSidecar(g);
      }
      if (!v.equals(version)) {
        version = v;
        metrics.pushes.inc();
        log.info(
            "mesh version {}: {} hosts, {} routes, {} clusters",
            v,
            next.hosts().size(),
            r.routes().size(),
            r.clusters().size());
      }
    }
    metrics.pushSeconds.observe((System.nanoTime() - t0) / 1e9);
  }

  /**
   * Makes the snapshot of sidecar group {@code g} unless it has one; {@code nodeId}: the node that
   * asked, for the log.
   */
  void addSidecar(SnapshotGroup g, String nodeId) {
    if (sidecars.contains(g)) {
      return;
    }
    synchronized (lock) {
      if (sidecars.add(g)) {
        log.info(
            "sidecars of {} listening inbound on {}:{} and outbound on 127.0.0.1:{} (first: node {})",
            g.host(),
            g.ports().inboundAddress(),
            g.ports().inboundPort(),
            g.ports().outboundPort(),
            nodeId);
        publishSidecar(g);
      }
    }
  }

  /**
   * Called under {@code lock}. A host the mesh does not declare gets nothing yet: its sidecars wait
   * for it.
   */
  private void publishSidecar(SnapshotGroup g) {
    if (mesh == null || !mesh.hosts().containsKey(g.host())) {
      return;
    }
    Translator.Resources sidecar = Sidecars.forWorkload(mesh, shared, g.host(), g.ports(), policy);
    List<Secret> secrets = this.secrets.secretsFor(g.host());
    cache.setSnapshot(g, Snapshots.of(sidecar, secrets));
  }
}
