package io.tollgate.server;

import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Quotas;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.common.lifecycle.GrpcServers;
import io.tollgate.quota.QuotaUsage;
import io.tollgate.rules.Decider;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.rules.PolicyLoadException;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.RuntimeOptions;
import io.tollgate.rules.WarmUp;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.rules.snapshot.PolicySnapshot;
import io.tollgate.server.admin.AdminServer;
import io.tollgate.server.attributes.PathGuard;
import io.tollgate.server.envoy.AuthorizationService;
import io.tollgate.server.http.HttpCheckHandler;
import io.tollgate.server.http.HttpEndpoint;
import io.tollgate.server.http.HttpEndpointMetrics;
import io.tollgate.server.quota.QuotaConnection;
import io.tollgate.server.ratelimit.RateLimitMetrics;
import io.tollgate.server.ratelimit.RateLimitService;
import io.tollgate.server.report.AccessLogService;
import io.tollgate.server.report.ReportQueue;
import io.tollgate.server.warmup.WarmUpCalls;
import io.tollgate.server.warmup.WarmUpTraffic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PolicyServer} is the composition root of the policy server: the rules runtime, the gRPC
 * server (ext_authz, health, reflection), the HTTP check server and the admin server, sharing one
 * set of metrics and one decision log.
 *
 * <p>Checks are decided on fixed pools of worker threads, never on a Netty event loop: gRPC ones on
 * the gRPC application executor, HTTP ones on the HTTP check port's own pool, so that neither
 * transport can starve the other. The HTTP check and admin ports are {@link HttpEndpoint}s, read
 * event-driven with per-port {@link io.tollgate.server.http.HttpLimits}. {@link #start} returns
 * once everything listens and the policy is warmed up ({@link WarmUpTraffic}); {@code /readyz} says
 * ready from then on. {@link #close} stops it all.
 */
public final class PolicyServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyServer.class);

  /** Largest Check request accepted; Envoy's default ext_authz request is far smaller. */
  static final int MAX_INBOUND_MESSAGE = 4 * 1024 * 1024;

  /** Largest header block (metadata) accepted on the gRPC port. */
  static final int MAX_INBOUND_METADATA = 64 * 1024;

  private final ServerConfig config;
  private final PolicyRuntime runtime;
  private final ServerMetrics metrics;
  private final ExecutorService workers;
  private final ExecutorService httpWorkers;
  private final ExecutorService accessLogs;
  private final Readiness readiness;
  private Runnable stopHearingFatal;
  private Server grpc;
  private HttpEndpoint http;
  private AdminServer admin;
  private final WarmUpCalls warmUpCalls = new WarmUpCalls();
  private volatile WarmUpTraffic warmUp;
  private final QuotaConnection quotas;
  private final QuotaUsage usage = new QuotaUsage();
  private ReportQueue reports;
  private final RecentDecisions recent = new RecentDecisions();
  private final ScheduledExecutorService sampler =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("tollgate-usage"));

  private PolicyServer(
      ServerConfig config, PolicyRuntime runtime, ServerMetrics metrics, QuotaConnection quotas) {
    this.config = config;
    this.runtime = runtime;
    this.metrics = metrics;
    this.quotas = quotas;
    this.readiness = new Readiness(() -> needsQuotas(runtime.snapshot()), quotas);
    this.workers =
        Executors.newFixedThreadPool(
            config.workerThreads(), DaemonThreads.numbered("tollgate-check"));
    this.httpWorkers =
        HttpEndpoint.pool(
            "tollgate-http-check",
            config.httpLimits().threads(),
            config.httpLimits().maxConnections());
    this.accessLogs =
        Executors.newSingleThreadExecutor(DaemonThreads.numbered("tollgate-access-log"));
  }

  /**
   * Loads the policy and starts every listener.
   *
   * @throws PolicyLoadException if the policy does not compile (nothing is started)
   * @throws UncheckedIOException if a port cannot be bound
   */
  public static PolicyServer start(ServerConfig config) throws PolicyLoadException {
    Path policy = config.policyDir();
    if (policy == null) {
      policy = BundledPolicy.extract();
      log.info("no policy directory given; serving the bundled bookinfo example from {}", policy);
    }
    // Metrics need the runtime and the runtime reports OPA queries to metrics: tie the knot.
    AtomicReference<ServerMetrics> metrics = new AtomicReference<>();
    RegoEngine.Observer opaObserver =
        (nanos, outcome) -> {
          ServerMetrics m = metrics.get();
          if (m != null && !WarmUp.active()) {
            m.opaQueried(nanos, outcome);
          }
        };
    QuotaConnection quotas = new QuotaConnection(config.bind(), config.quota());
    // The policy's prometheus handlers record on the server's own registry.
    PrometheusRegistry registry = PolicyEnvironment.registry();
    PolicyRuntime runtime;
    try {
      runtime = PolicyRuntime.start(runtimeOptions(config, policy, opaObserver, quotas, registry));
    } catch (PolicyLoadException | RuntimeException e) {
      quotas.close();
      throw e;
    }
    metrics.set(new ServerMetrics(runtime, registry));
    PolicyServer s = new PolicyServer(config, runtime, metrics.get(), quotas);
    try {
      s.listen();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw new UncheckedIOException(
          "could not start listening on "
              + config.bind()
              + " (is a port in use? choose others with --grpc-port, "
              + "--http-port, --admin-port): "
              + e.getMessage(),
          e instanceof IOException io ? io : new IOException(e));
    }
    try {
      s.warmUpAndServe();
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** What {@link #start} compiles the policy in {@code policy} with. */
  public static RuntimeOptions runtimeOptions(
      ServerConfig config,
      Path policy,
      RegoEngine.Observer opaObserver,
      Quotas quotas,
      PrometheusRegistry registry) {
    return PolicyEnvironment.serving(
        new RuntimeOptions(
                policy,
                config.pluginsDir(),
                config.handlerTimeout(),
                new RegoEngine.Settings(
                    config.opaUrl(),
                    config.opaBinary(),
                    Duration.ofSeconds(2),
                    config.opaAllowedBuiltins()),
                config.regoTimeout(),
                opaObserver)
            .withFailClosedMatches(config.failClosedMatches()),
        quotas,
        registry);
  }

  /**
   * Warms the serving version up through the listeners, and every later version before it serves;
   * then reports ready and starts watching the policy. Ready comes after the warm-up whatever its
   * outcome: a warm-up that fails is logged, and the server serves, only slower at first.
   */
  private void warmUpAndServe() {
    warmUp =
        new WarmUpTraffic(
            config.warmUp(),
            warmUpCalls,
            config.bind(),
            grpcPort(),
            httpPort(),
            snapshot -> {
              if (needsQuotas(snapshot)) {
                quotas.open();
              }
            },
            quotas::discardWarmUp);
    runtime.warmBeforeServing(warmUp);
    readiness.warmedUp();
    if (!config.reloadInterval().isZero()) {
      runtime.watch(config.reloadInterval());
    }
    log.info(
        "tollgate serving: grpc {}:{} (ext_authz, rate limit, access log, health, reflection), http {}, admin {}:{} (/healthz /readyz /metrics /config)",
        config.bind(),
        grpcPort(),
        http == null
            ? "off"
            : config.bind()
                + ":"
                + httpPort()
                + " (check, nginx at "
                + HttpCheckHandler.NGINX_PATH
                + ")",
        config.bind(),
        adminPort());
  }

  private void listen() throws IOException {
    DecisionLog decisions = new DecisionLog(config.decisionLog(), config.decisionLogSample());
    CheckListener listener =
        new CheckListener() {
          @Override
          public void decided(String transport, Attributes a, PolicyDecision d, long nanos) {
            metrics.decided(transport, d, nanos);
            recent.record(transport, a, d);
            decisions.log(transport, a, d, nanos);
          }

          @Override
          public void failed(String transport) {
            metrics.failed(transport);
          }
        };
    runtime.onReload(metrics::reloaded);
    runtime.onReload(r -> startQuotasIfNeeded());
    quotas.register(metrics.registry());
    reports =
        new ReportQueue(runtime, config.reportQueue(), config.reportThreads(), metrics.registry());
    startQuotasIfNeeded();
    metrics.serving(runtime.status().version());
    // Both check transports refuse a path that cannot be normalized before the rules see it.
    Decider checks = PathGuard.around(runtime, () -> runtime.status().version());

    grpc =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.bind(), config.grpcPort()))
            .executor(workers)
            // Access-log streams are read on their own thread, so that checks never queue behind
            // them.
            .callExecutor(
                new ServerCallExecutorSupplier() {
                  @Override
                  public <ReqT, RespT> Executor getExecutor(
                      ServerCall<ReqT, RespT> call, Metadata headers) {
                    return AccessLogServiceGrpc.SERVICE_NAME.equals(
                            call.getMethodDescriptor().getServiceName())
                        ? accessLogs
                        : null;
                  }
                })
            .intercept(warmUpCalls.interceptor())
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE)
            .maxInboundMetadataSize(MAX_INBOUND_METADATA)
            .addService(new AuthorizationService(checks, listener, config.revealRule()).bind())
            .addService(new AccessLogService(reports))
            .addService(
                new RateLimitService(
                    runtime,
                    quotas,
                    new RateLimitMetrics(metrics.registry()),
                    usage,
                    config.quota().failureDeny(),
                    config.quota().responseHeaders()))
            .addService(readiness.healthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build()
            .start();
    readiness.grpcStarted();
    stopHearingFatal = FatalErrors.onFatal(readiness::fatal);

    HttpEndpointMetrics httpMetrics = new HttpEndpointMetrics(metrics.registry());
    if (config.httpPort() >= 0) {
      http =
          HttpEndpoint.start(
              "check",
              new InetSocketAddress(config.bind(), config.httpPort()),
              config.httpLimits(),
              Math.min(2, Runtime.getRuntime().availableProcessors()),
              new HttpCheckHandler(
                  checks,
                  listener,
                  config.revealRule(),
                  config.httpPathPrefix(),
                  config.trustForwardedFor(),
                  warmUpCalls,
                  httpWorkers),
              httpMetrics);
    }

    admin =
        new AdminServer(
            new InetSocketAddress(config.bind(), config.adminPort()),
            runtime,
            metrics.registry(),
            readiness::notReadyReason,
            config.adminToken(),
            config.adminLimits(),
            httpMetrics);
    admin.json("/api/quotas", new QuotaReport(quotas, usage, runtime)::report);
    admin.json("/api/decisions", recent::report);
    admin.dashboard();
    sampler.scheduleAtFixedRate(
        FatalErrors.guard(
            "the quota usage sampler", () -> usage.sample(Instant.now().getEpochSecond())),
        1,
        1,
        TimeUnit.SECONDS);
    admin.start();

    readiness.listening();
  }

  private static boolean needsQuotas(PolicySnapshot s) {
    return s != null && (s.hasRateLimits() || s.usesQuotas());
  }

  /** Opens the quota connection once a policy has rate limits or quota handlers. */
  private void startQuotasIfNeeded() {
    if (needsQuotas(runtime.snapshot())) {
      quotas.open();
    }
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  /** The HTTP check port, or -1 when it is off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  public int adminPort() {
    return admin.port();
  }

  /** What the last warm-up did, or {@code null} when warming up is off. */
  public WarmUpTraffic.Report lastWarmUp() {
    return warmUp == null ? null : warmUp.last();
  }

  public PolicyRuntime runtime() {
    return runtime;
  }

  public ServerMetrics metrics() {
    return metrics;
  }

  /** Blocks until the gRPC server terminates. */
  public void awaitTermination() throws InterruptedException {
    grpc.awaitTermination();
  }

  /** Stops accepting, lets calls in flight finish for up to five seconds, then stops. */
  @Override
  public void close() {
    readiness.closing();
    if (stopHearingFatal != null) {
      stopHearingFatal.run();
    }
    // gRPC stops accepting first, so that its calls in flight finish while HTTP stops.
    if (grpc != null) {
      grpc.shutdown();
    }
    if (http != null) {
      http.close();
    }
    if (grpc != null) {
      GrpcServers.stop(grpc, Duration.ofSeconds(5));
    }
    if (admin != null) {
      admin.close();
    }
    if (warmUp != null) {
      warmUp.close();
    }
    workers.shutdownNow();
    httpWorkers.shutdownNow();
    accessLogs.shutdownNow();
    sampler.shutdownNow();
    if (reports != null) {
      reports.close();
    }
    runtime.close();
    quotas.close();
  }
}
