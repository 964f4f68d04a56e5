package io.tollgate.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code PrometheusServer} runs a real Prometheus (the Debian package) on 127.0.0.1 with a
 * generated config that scrapes the given targets every second, and queries it over its HTTP API.
 */
public final class PrometheusServer implements AutoCloseable {
  private final Process process;
  private final Path dir;
  private final int port;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PrometheusServer(Process process, Path dir, int port) {
    this.process = process;
    this.dir = dir;
    this.port = port;
  }

  /**
   * Starts Prometheus scraping {@code targets} ({@code host:port}, path /metrics) as job {@code
   * job}.
   */
  public static PrometheusServer start(String job, List<String> targets) {
    Path prometheus =
        Peers.require(
            "prometheus",
            "apt-get install -y prometheus (or scripts/install-test-peers)",
            "/usr/bin/prometheus",
            "prometheus");
    int port = FreePorts.next();
    try {
      Path dir = Files.createTempDirectory("tollgate-prometheus-");
      String config =
          """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          scrape_configs:
            - job_name: %s
              metrics_path: /metrics
              static_configs:
                - targets: [%s]
          """
              .formatted(
                  job, targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", ")));
      Files.writeString(dir.resolve("prometheus.yml"), config);
      Process p =
          new ProcessBuilder(
                  prometheus.toString(),
                  "--config.file=" + dir.resolve("prometheus.yml"),
                  "--storage.tsdb.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + port,
                  "--log.level=warn")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      PrometheusServer s = new PrometheusServer(p, dir, port);
      s.awaitReady();
      return s;
    } catch (IOException e) {
      throw new AssertionError("could not start prometheus: " + e, e);
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("prometheus exited: " + log());
      }
      try {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create(base() + "/-/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      sleep(200);
    }
    throw new AssertionError("prometheus not ready within 60 s: " + log());
  }

  public String base() {
    return "http://127.0.0.1:" + port;
  }

  /** The JSON answer of an instant query ({@code /api/v1/query}), whatever its status. */
  public String query(String promql) {
    try {
      return http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          base()
                              + "/api/v1/query?query="
                              + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      throw new AssertionError("query failed: " + promql + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Prometheus's own log so far. */
  public String log() {
    try {
      return Files.readString(dir.resolve("prometheus.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    Processes.stop(process, Duration.ofSeconds(20));
  }
}
