package io.tollgate.server.it;

import io.tollgate.testing.Processes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ServerProcess} runs {@code tollgate.jar serve} (or {@code quota-node}, {@code ca}) as its
 * own JVM and reads its ports from its log.
 */
final class ServerProcess implements AutoCloseable {
  private static final Pattern SERVING =
      Pattern.compile(
          "tollgate serving: grpc 127\\.0\\.0\\.1:(\\d+) .* admin 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern CA =
      Pattern.compile(
          "tollgate ca: .* CSR API on 127\\.0\\.0\\.1:(\\d+), admin on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern PILOT =
      Pattern.compile(
          "tollgate pilot: xDS on 127\\.0\\.0\\.1:(\\d+), admin on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern QUOTA_NODE =
      Pattern.compile("tollgate quota-node: .* admin on 127\\.0\\.0\\.1:(\\d+)");

  final Process process;
  final int grpcPort;
  final int adminPort;
  private final StringBuilder log;

  private ServerProcess(Process process, int grpcPort, int adminPort, StringBuilder log) {
    this.process = process;
    this.grpcPort = grpcPort;
    this.adminPort = adminPort;
    this.log = log;
  }

  static ServerProcess start(String... serveArgs) throws Exception {
    // The quick warm-up of the in-process servers: these tests measure no first answers.
    List<String> cmd =
        new ArrayList<>(
            ShadedJarIT.java(
                "serve",
                "--grpc-port",
                "0",
                "--http-port",
                "-1",
                "--admin-port",
                "0",
                "--decision-log",
                "off",
                "--warm-up-time",
                "2s",
                "--warm-up-rounds",
                "500"));
    cmd.addAll(List.of(serveArgs));
    return launch(cmd, SERVING);
  }

  /**
   * Starts {@code tollgate quota-node}; its admin port is {@link #adminPort}, it has no gRPC port.
   */
  static ServerProcess quotaNode(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(ShadedJarIT.java("quota-node", "--admin-port", "0"));
    cmd.addAll(List.of(args));
    return launch(cmd, QUOTA_NODE);
  }

  /** Starts {@code tollgate ca}; {@link #grpcPort} is its CSR API. */
  static ServerProcess ca(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(ShadedJarIT.java("ca", "--port", "0", "--admin-port", "0"));
    cmd.addAll(List.of(args));
    return launch(cmd, CA);
  }

  /** Starts {@code tollgate pilot}; {@link #grpcPort} is its xDS port. */
  static ServerProcess pilot(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(ShadedJarIT.java("pilot", "--port", "0", "--admin-port", "0"));
    cmd.addAll(List.of(args));
    return launch(cmd, PILOT);
  }

  /**
   * Starts {@code tollgate <subcommand> args} with {@code jvmOptions} (such as {@code -Xmx512m})
   * and no ports chosen for it: the caller gives every port, so that a killed process can be
   * started again where its peers expect it ({@code serve}'s gRPC port, {@code pilot}'s xDS port).
   */
  static ServerProcess exec(List<String> jvmOptions, String subcommand, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(ShadedJarIT.java(subcommand));
    cmd.addAll(1, jvmOptions);
    cmd.addAll(List.of(args));
    Pattern ready =
        switch (subcommand) {
          case "serve" -> SERVING;
          case "pilot" -> PILOT;
          case "quota-node" -> QUOTA_NODE;
          case "ca" -> CA;
          default -> throw new IllegalArgumentException("no ready line known for " + subcommand);
        };
    return launch(cmd, ready);
  }

  private static ServerProcess launch(List<String> cmd, Pattern ready) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder log = new StringBuilder();
    CompletableFuture<int[]> ports = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  synchronized (log) {
                    log.append(line).append('\n');
                  }
                  Matcher m = ready.matcher(line);
                  if (m.find()) {
                    ports.complete(
                        m.groupCount() == 2
                            ? new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))}
                            : new int[] {-1, Integer.parseInt(m.group(1))});
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
              ports.completeExceptionally(
                  new AssertionError("server exited before serving:\n" + log));
            });
    reader.setDaemon(true);
    reader.start();
    int[] got = ports.get(120, TimeUnit.SECONDS);
    return new ServerProcess(p, got[0], got[1], log);
  }

  String log() {
    synchronized (log) {
      return log.toString();
    }
  }

  /** SIGKILL. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(20, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    Processes.stop(process, Duration.ofSeconds(20));
  }

  static Path jar() {
    return ShadedJarIT.jar();
  }
}
