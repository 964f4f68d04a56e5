package io.tollgate.server.cli;

import io.tollgate.server.http.HttpLimits;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * {@code HttpLimitOptions} bound what a client of the HTTP check port and the admin port can cost:
 * {@code serve}'s options for {@link HttpLimits}. The defaults are {@link HttpLimits#checkDefaults}
 * and {@link HttpLimits#adminDefaults}.
 */
final class HttpLimitOptions {
  @Option(
      names = "--http-threads",
      defaultValue = "0",
      description =
          "Threads deciding HTTP checks, a pool of their own (default: as many as --worker-threads).")
  int threads;

  @Option(
      names = "--http-max-connections",
      defaultValue = "4096",
      description =
          "Open connections the HTTP check port accepts; more are closed at once and counted (default: ${DEFAULT-VALUE}).")
  int maxConnections;

  @Option(
      names = "--http-max-header-size",
      defaultValue = "65536",
      paramLabel = "BYTES",
      description =
          "Longest request line (414 beyond) and largest header block (431 beyond) on the HTTP check port;"
              + " at least Envoy's max_request_headers_kb (default: ${DEFAULT-VALUE}).")
  int maxHeaderSize;

  @Option(
      names = "--http-max-body-size",
      defaultValue = "1048576",
      paramLabel = "BYTES",
      description =
          "Largest request body on the HTTP check port, read and discarded; 413 beyond (default: ${DEFAULT-VALUE}).")
  int maxBody;

  @Option(
      names = "--http-request-timeout",
      defaultValue = "10s",
      description =
          "Time a request to the HTTP check and admin ports may take to arrive in full; slower ones get 408 and"
              + " the connection is closed (default: ${DEFAULT-VALUE}).")
  Duration requestTimeout;

  @Option(
      names = "--http-idle-timeout",
      defaultValue = "60s",
      description =
          "Time a kept-alive connection to the HTTP check and admin ports may wait for its next request (default: ${DEFAULT-VALUE}).")
  Duration idleTimeout;

  @Option(
      names = "--admin-max-connections",
      defaultValue = "512",
      description =
          "Open connections the admin port accepts; more are closed at once and counted (default: ${DEFAULT-VALUE}).")
  int adminMaxConnections;

  /**
   * The check port's limits, with {@code workerThreads} deciding unless --http-threads is given.
   */
  HttpLimits check(int workerThreads) {
    return HttpLimits.checkDefaults(threads > 0 ? threads : workerThreads)
        .withSizes(maxHeaderSize, maxHeaderSize, maxBody)
        .withTimeouts(requestTimeout, idleTimeout)
        .withMaxConnections(maxConnections);
  }

  HttpLimits admin() {
    return HttpLimits.adminDefaults()
        .withTimeouts(requestTimeout, idleTimeout)
        .withMaxConnections(adminMaxConnections);
  }
}
