package io.tollgate.pilot;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ServerCredentials;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.pilot.model.MeshException;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.SecretSource;
import io.tollgate.pilot.xds.SidecarPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pilot-lite's server: watches a directory of Istio networking files, translates every version that
 * validates into xDS resources, and serves them over ADS (state of the world and delta) with
 * java-control-plane's cache; also CDS/EDS/LDS/RDS singly, and gRPC health. A version is built only
 * from files that have stopped changing ({@link MeshWatch}). A version that does not validate is
 * logged with every problem and counted; the last good one keeps serving. A resource version
 * changes only when its content does, so an unrelated edit pushes nothing.
 *
 * <p>Proxyless clients share one snapshot; an Envoy sidecar gets the one of its {@link
 * SnapshotGroup}: the host it serves and the ports it listens on, from its node metadata ({@value
 * #SERVICE_METADATA} and {@link SidecarPorts}), made when the first node of that group asks. A node
 * whose port or address metadata is invalid is refused: its stream ends with {@code
 * INVALID_ARGUMENT} saying which key and value, the refusal is logged and counted, and it gets
 * nothing rather than listeners where its traffic does not arrive.
 *
 * <p>The parts: {@link XdsServer} (the gRPC server), {@link XdsCallbacks} and {@link NodeAdmission}
 * (what happens on each stream and request), {@link SnapshotPublisher} (the cache's snapshots),
 * {@link MeshReloader} (the mesh files, loaded and watched) and {@link PilotMetrics}.
 */
public final class PilotServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PilotServer.class);

  /**
   * {@code credentials}: TLS for the xDS port (see {@code tollgate pilot --tls-*}), or null for
   * plaintext; {@code sidecarPorts}: the ports of sidecars whose metadata names none; {@code
   * settle}: how long the mesh files must stay the same before a version is built from them.
   */
  public record Settings(
      Path meshDir,
      String bind,
      int port,
      Duration pollInterval,
      PolicyWiring policy,
      SecretSource secrets,
      ServerCredentials credentials,
      SidecarPorts sidecarPorts,
      Duration settle) {
    public Settings {
      Objects.requireNonNull(sidecarPorts, "sidecarPorts");
      if (settle.isNegative()) {
        throw new IllegalArgumentException("the settle interval must not be negative: " + settle);
      }
    }

    public Settings(Path meshDir, String bind, int port, Duration pollInterval) {
      this(meshDir, bind, port, pollInterval, PolicyWiring.NONE, SecretSource.NONE, null);
    }

    public Settings(
        Path meshDir, String bind, int port, Duration pollInterval, PolicyWiring policy) {
      this(meshDir, bind, port, pollInterval, policy, SecretSource.NONE, null);
    }

    public Settings(
        Path meshDir,
        String bind,
        int port,
        Duration pollInterval,
        PolicyWiring policy,
        SecretSource secrets) {
      this(meshDir, bind, port, pollInterval, policy, secrets, null);
    }

    public Settings(
        Path meshDir,
        String bind,
        int port,
        Duration pollInterval,
        PolicyWiring policy,
        SecretSource secrets,
        ServerCredentials credentials) {
      this(
          meshDir,
          bind,
          port,
          pollInterval,
          policy,
          secrets,
          credentials,
          SidecarPorts.DEFAULT,
          MeshWatch.DEFAULT_SETTLE);
    }

    public Settings withSidecarPorts(SidecarPorts ports) {
      return new Settings(
          meshDir, bind, port, pollInterval, policy, secrets, credentials, ports, settle);
    }

    public Settings withSettle(Duration interval) {
      return new Settings(
          meshDir, bind, port, pollInterval, policy, secrets, credentials, sidecarPorts, interval);
    }
  }

  /**
   * Node metadata key naming the ServiceEntry host an Envoy sidecar serves; proxyless clients leave
   * it out.
   */
  public static final String SERVICE_METADATA = "TOLLGATE_SERVICE";

  private final SnapshotPublisher publisher;
  private final NodeAdmission admission;
  private final XdsServer xds;
  private final MeshReloader reloader;

  private PilotServer(Settings settings, PrometheusRegistry registry) throws IOException {
    PilotMetrics metrics = new PilotMetrics(registry);
    publisher =
        new SnapshotPublisher(
            settings.sidecarPorts(), settings.policy(), settings.secrets(), metrics);
    admission = new NodeAdmission(settings.sidecarPorts(), publisher, metrics);
    xds =
        new XdsServer(
            new InetSocketAddress(settings.bind(), settings.port()),
            settings.credentials(),
            publisher.cache(),
            new XdsCallbacks(metrics, admission));
    reloader =
        new MeshReloader(
            settings.meshDir(), settings.settle(), settings.pollInterval(), publisher, metrics);
  }

  /**
   * Loads the mesh (a first version that does not validate is an error: nothing starts), then
   * serves.
   */
  public static PilotServer start(Settings settings, PrometheusRegistry registry)
      throws IOException, MeshException {
    PilotServer pilot = new PilotServer(settings, registry);
    pilot.reloader.loadFirst();
    pilot.xds.start();
    pilot.reloader.start();
    log.info(
        "pilot-lite serving xDS (ADS, {}) on {}:{} from {}, version {}",
        settings.credentials() == null ? "plaintext" : "TLS",
        settings.bind(),
        pilot.port(),
        settings.meshDir(),
        pilot.version());
    return pilot;
  }

  public int port() {
    return xds.port();
  }

  /** The serving configuration's version (a digest of its resources). */
  public String version() {
    return publisher.version();
  }

  /** Problems of the last attempt to load, empty when it loaded. */
  public List<String> lastProblems() {
    return reloader.lastProblems();
  }

  /** How many times the watcher has looked at the mesh files. */
  long polls() {
    return reloader.polls();
  }

  /**
   * The group of {@code node}; throws {@link IllegalArgumentException} when its ports are invalid.
   */
  SnapshotGroup group(Node node) {
    return admission.group(node);
  }

  @Override
  public void close() {
    reloader.close();
    xds.close();
  }
}
