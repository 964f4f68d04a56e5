package io.tollgate.rules.rego;

import io.tollgate.common.lifecycle.FatalErrors;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code OpaSupervisor} runs {@code opa run --server} on a free 127.0.0.1 port as a child process:
 * it waits for OPA's health endpoint, forwards OPA's log lines, and when the process dies starts a
 * new one with exponential backoff (100 ms doubling to 5 s). The URL stays the same across restarts
 * unless the port was taken meanwhile. {@link #close} stops it for good. OPA runs with an empty
 * environment.
 */
public final class OpaSupervisor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OpaSupervisor.class);
  private static final Logger opaLog = LoggerFactory.getLogger("tollgate.opa");

  private final Path binary;
  private final ScheduledExecutorService scheduler;
  private volatile Process process;
  private volatile int port;
  private volatile boolean closed;
  private long backoffMillis = 100;
  private long startedAt;
  private final Runnable onRestart;
  private final Runnable onExit;

  private OpaSupervisor(Path binary, Runnable onExit, Runnable onRestart) {
    this.binary = binary;
    this.onExit = onExit;
    this.onRestart = onRestart;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tollgate-opa-supervisor");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Starts OPA and waits until it is healthy.
   *
   * @param onExit called (on the supervisor's thread) as soon as OPA is found dead
   * @param onRestart called (on the supervisor's thread) after a restarted OPA is healthy again, so
   *     its policies can be uploaded again
   * @throws IOException if it cannot be started or is not healthy within {@code startTimeout}
   */
  public static OpaSupervisor start(
      Path binary, Duration startTimeout, Runnable onExit, Runnable onRestart) throws IOException {
    OpaSupervisor s = new OpaSupervisor(binary, onExit, onRestart);
    s.port = freePort();
    s.launch();
    if (!s.awaitHealthy(startTimeout)) {
      s.close();
      throw new IOException(
          "OPA (" + binary + ") did not become healthy within " + startTimeout.toMillis() + " ms");
    }
    s.scheduler.scheduleWithFixedDelay(
        FatalErrors.guard("the OPA supervisor", s::watch), 100, 100, TimeUnit.MILLISECONDS);
    return s;
  }

  /** The {@code opa} program this supervisor runs. */
  public Path binary() {
    return binary;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** The running process's id, or -1. */
  public long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  private synchronized void launch() throws IOException {
    List<String> cmd =
        List.of(
            binary.toString(),
            "run",
            "--server",
            "--addr",
            "127.0.0.1:" + port,
            "--log-level",
            "error",
            "--log-format",
            "json",
            "--skip-version-check");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    // Nothing of the server's environment (credentials, tokens) for opa.runtime() to hand out,
    // should a policy that calls it ever get past OpaCapabilities.
    pb.environment().clear();
    Process p = pb.start();
    process = p;
    startedAt = System.nanoTime();
    Process started = p;
    Thread forward = new Thread(() -> forwardLogs(started), "tollgate-opa-log");
    forward.setDaemon(true);
    forward.start();
    log.info("started OPA {} (pid {}) at {}", binary, p.pid(), url());
  }

  private static void forwardLogs(Process p) {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.contains("\"level\":\"error\"")) {
          opaLog.warn(line);
        } else {
          opaLog.info(line);
        }
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  private boolean awaitHealthy(Duration timeout) {
    OpaConnection c = new OpaConnection(url(), Duration.ofSeconds(1));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && !closed) {
      Process p = process;
      if (p != null && !p.isAlive()) {
        return false;
      }
      if (c.healthy(Duration.ofMillis(500))) {
        return true;
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private void watch() {
    if (closed) {
      return;
    }
    Process p = process;
    if (p != null && p.isAlive()) {
      if (System.nanoTime() - startedAt > TimeUnit.SECONDS.toNanos(30)) {
        backoffMillis = 100;
      }
      return;
    }
    log.warn(
        "OPA (pid {}) exited with {}; restarting in {} ms",
        p == null ? -1 : p.pid(),
        p == null ? "?" : p.exitValue(),
        backoffMillis);
    onExit.run();
    try {
      Thread.sleep(backoffMillis);
      backoffMillis = Math.min(5000, backoffMillis * 2);
      if (closed) {
        return;
      }
      if (!portFree(port)) {
        port = freePort();
      }
      launch();
      if (awaitHealthy(Duration.ofSeconds(10))) {
        log.info("OPA is healthy again at {}", url());
        onRestart.run();
      }
    } catch (IOException e) {
      log.error("could not restart OPA ({}); will retry", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("OPA restart hook failed; will retry", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return s.isBound();
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
    Process p = process;
    if (p != null) {
      p.destroy();
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
