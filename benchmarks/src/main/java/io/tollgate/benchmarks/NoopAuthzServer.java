package io.tollgate.benchmarks;

import com.google.rpc.Code;
import com.google.rpc.Status;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.StreamObserver;
import io.tollgate.server.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code NoopAuthzServer} answers every {@code envoy.service.auth.v3.Authorization/Check} and every
 * {@code envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit} with {@code OK} without
 * looking at it: the ceiling a policy server can reach on a machine. It is built like Tollgate's
 * gRPC server (grpc-java over Netty, the same message limits, a fixed pool of worker threads as the
 * application executor, health and reflection v1), so the difference in a load run is what deciding
 * costs.
 *
 * <pre>
 * java -cp benchmarks.jar io.tollgate.benchmarks.NoopAuthzServer [--port N] [--worker-threads N]
 * </pre>
 *
 * <p>Port 0 (the default) picks a free one. Prints {@code noop authz serving: grpc 127.0.0.1:PORT}
 * once it listens and runs until the process is stopped.
 */
public final class NoopAuthzServer implements AutoCloseable {
  /** As in Tollgate's PolicyServer. */
  private static final int MAX_INBOUND_MESSAGE = 4 * 1024 * 1024;

  private static final int MAX_INBOUND_METADATA = 64 * 1024;

  private static final CheckResponse OK =
      CheckResponse.newBuilder()
          .setStatus(Status.newBuilder().setCode(Code.OK_VALUE))
          .setOkResponse(OkHttpResponse.getDefaultInstance())
          .build();

  private static final RateLimitResponse.DescriptorStatus OK_STATUS =
      RateLimitResponse.DescriptorStatus.newBuilder().setCode(RateLimitResponse.Code.OK).build();

  private final ExecutorService workers;
  private final HealthStatusManager health = new HealthStatusManager();
  private final Server server;

  private NoopAuthzServer(String bind, int port, int workerThreads) throws IOException {
    AtomicInteger n = new AtomicInteger();
    workers =
        Executors.newFixedThreadPool(
            workerThreads,
            r -> {
              Thread t = new Thread(r, "noop-check-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(bind, port))
            .executor(workers)
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE)
            .maxInboundMetadataSize(MAX_INBOUND_METADATA)
            .addService(
                new AuthorizationGrpc.AuthorizationImplBase() {
                  @Override
                  public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
                    out.onNext(OK);
                    out.onCompleted();
                  }
                })
            .addService(
                new RateLimitServiceGrpc.RateLimitServiceImplBase() {
                  @Override
                  public void shouldRateLimit(
                      RateLimitRequest request, StreamObserver<RateLimitResponse> out) {
                    // One OK status per descriptor, as a rate-limit service that limits nothing
                    // answers.
                    RateLimitResponse.Builder r =
                        RateLimitResponse.newBuilder().setOverallCode(RateLimitResponse.Code.OK);
                    for (int i = 0; i < request.getDescriptorsCount(); i++) {
                      r.addStatuses(OK_STATUS);
                    }
                    out.onNext(r.build());
                    out.onCompleted();
                  }
                })
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .build();
    try {
      server.start();
    } catch (IOException e) {
      workers.shutdownNow();
      throw e;
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(AuthorizationGrpc.SERVICE_NAME, ServingStatus.SERVING);
  }

  /**
   * Starts on {@code bind:port} (port 0 for a free one) with {@code workerThreads} deciding
   * threads.
   */
  public static NoopAuthzServer start(String bind, int port, int workerThreads) throws IOException {
    return new NoopAuthzServer(bind, port, workerThreads);
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    workers.shutdownNow();
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    ServerConfig defaults = ServerConfig.defaults();
    String bind = defaults.bind();
    int port = 0;
    int workerThreads = defaults.workerThreads();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        usage("missing value for " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--port" -> port = intArg(a, v);
        case "--worker-threads" -> workerThreads = intArg(a, v);
        case "--bind" -> bind = v;
        default -> usage("unknown option " + a);
      }
    }
    NoopAuthzServer s = start(bind, port, workerThreads);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  s.close();
                  stopped.countDown();
                },
                "noop-shutdown"));
    System.out.println(
        "noop authz serving: grpc "
            + bind
            + ":"
            + s.port()
            + " ("
            + workerThreads
            + " worker threads)");
    System.out.flush();
    stopped.await();
  }

  private static int intArg(String name, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      usage(name + " takes a number, not '" + value + "'");
      return -1;
    }
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println("usage: NoopAuthzServer [--port N] [--worker-threads N] [--bind ADDRESS]");
    System.exit(2);
  }
}
