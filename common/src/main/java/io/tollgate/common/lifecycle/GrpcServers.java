package io.tollgate.common.lifecycle;

import io.grpc.Server;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code GrpcServers} stops gRPC servers. */
public final class GrpcServers {
  private GrpcServers() {}

  /**
   * Stops {@code server}: it accepts no new calls, calls in flight get up to {@code grace} to
   * finish, then the rest are cancelled. An interrupt while waiting cancels them at once and is
   * kept. {@code server} may already be shut down ({@link Server#shutdown()} again does nothing).
   */
  public static void stop(Server server, Duration grace) {
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
