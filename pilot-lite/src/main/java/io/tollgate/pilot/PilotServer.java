package io.tollgate.pilot;

import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.pilot.model.MeshException;
import io.tollgate.pilot.model.MeshFiles;
import io.tollgate.pilot.model.MeshLoader;
import io.tollgate.pilot.model.MeshProblem;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.SecretSource;
import io.tollgate.pilot.xds.SidecarPorts;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
      io.grpc.ServerCredentials credentials,
      SidecarPorts sidecarPorts,
      Duration settle) {
    public Settings {
      java.util.Objects.requireNonNull(sidecarPorts, "sidecarPorts");
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
        io.grpc.ServerCredentials credentials) {
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

  private final Server server;
  private final ScheduledExecutorService watcher;
  private final PilotMetrics metrics;
  private final SnapshotPublisher publisher;
  private final NodeAdmission admission;

  /** Read and written by the watcher thread only (after start). */
  private MeshWatch watch;

  private final AtomicLong polls = new AtomicLong();
  private volatile List<String> lastProblems = List.of();

  private PilotServer(Settings settings, PrometheusRegistry registry) throws IOException {
    this.metrics = new PilotMetrics(registry);
    this.publisher =
        new SnapshotPublisher(
            settings.sidecarPorts(), settings.policy(), settings.secrets(), metrics);
    this.admission = new NodeAdmission(settings.sidecarPorts(), publisher, metrics);
    V3DiscoveryServer discovery =
        new V3DiscoveryServer(new XdsCallbacks(metrics, admission), publisher.cache());
    HealthStatusManager health = new HealthStatusManager();
    InetSocketAddress address = new InetSocketAddress(settings.bind(), settings.port());
    server =
        (settings.credentials() == null
                ? NettyServerBuilder.forAddress(address)
                : NettyServerBuilder.forAddress(address, settings.credentials()))
            .addService(discovery.getAggregatedDiscoveryServiceImpl())
            .addService(discovery.getClusterDiscoveryServiceImpl())
            .addService(discovery.getEndpointDiscoveryServiceImpl())
            .addService(discovery.getListenerDiscoveryServiceImpl())
            .addService(discovery.getRouteDiscoveryServiceImpl())
            .addService(discovery.getSecretDiscoveryServiceImpl())
            .addService(health.getHealthService())
            .build();
    watcher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tollgate-pilot-watch");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Loads the mesh (a first version that does not validate is an error: nothing starts), then
   * serves.
   */
  public static PilotServer start(Settings settings, PrometheusRegistry registry)
      throws IOException, MeshException {
    PilotServer pilot = new PilotServer(settings, registry);
    List<MeshFiles.File> first;
    try {
      first = MeshWatch.settledAtStart(settings.meshDir(), settings.settle());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(
          "interrupted while waiting for the mesh files to stop changing");
    } catch (IOException e) {
      throw new MeshException(
          List.of(
              new MeshProblem(
                  settings.meshDir().toString(),
                  0,
                  0,
                  "cannot list the mesh directory: " + e.getMessage())));
    }
    pilot.publisher.publish(MeshLoader.load(first));
    pilot.watch = new MeshWatch(settings.meshDir(), settings.settle(), System::nanoTime, first);
    pilot.server.start();
    if (!settings.pollInterval().isZero()) {
      long ms = settings.pollInterval().toMillis();
      pilot.watcher.scheduleWithFixedDelay(pilot::reloadIfChanged, ms, ms, TimeUnit.MILLISECONDS);
    }
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
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  /** The serving configuration's version (a digest of its resources). */
  public String version() {
    return publisher.version();
  }

  /** Problems of the last attempt to load, empty when it loaded. */
  public List<String> lastProblems() {
    return lastProblems;
  }

  /** How many times the watcher has looked at the mesh files. */
  long polls() {
    return polls.get();
  }

  private void reloadIfChanged() {
    try {
      Optional<List<MeshFiles.File>> files = watch.poll();
      if (files.isEmpty()) {
        return;
      }
      publisher.publish(MeshLoader.load(files.get()));
      lastProblems = List.of();
      metrics.reloads.labelValues("success").inc();
    } catch (MeshException e) {
      lastProblems = e.problems().stream().map(Object::toString).toList();
      metrics.reloads.labelValues("failure").inc();
      log.error(
          "mesh reload failed with {} problem(s); version {} keeps serving:\n  {}",
          e.problems().size(),
          publisher.version(),
          String.join("\n  ", lastProblems));
    } catch (IOException | RuntimeException e) {
      metrics.reloads.labelValues("failure").inc();
      log.error("mesh reload failed; version {} keeps serving", publisher.version(), e);
    } finally {
      polls.incrementAndGet();
    }
  }

  /**
   * The group of {@code node}; throws {@link IllegalArgumentException} when its ports are invalid.
   */
  SnapshotGroup group(Node node) {
    return admission.group(node);
  }

  @Override
  public void close() {
    watcher.shutdownNow();
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
