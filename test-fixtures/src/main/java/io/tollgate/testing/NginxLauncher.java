package io.tollgate.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code NginxLauncher} runs a real nginx (the Debian package) in the foreground with a generated
 * config under a temporary prefix: {@code auth_request} against Tollgate's nginx endpoint in front
 * of an upstream, all on 127.0.0.1. The config is {@code nginx-auth-request.conf} beside this
 * class, the same one the README shows.
 */
public final class NginxLauncher implements AutoCloseable {
  private final Process process;
  private final Path prefix;
  private final int port;

  private NginxLauncher(Process process, Path prefix, int port) {
    this.process = process;
    this.prefix = prefix;
    this.port = port;
  }

  /**
   * Starts nginx listening on a free port, asking {@code tollgatePort} and proxying to {@code
   * upstreamPort}.
   */
  public static NginxLauncher start(int tollgatePort, int upstreamPort) {
    Path nginx =
        Peers.require(
            "nginx",
            "apt-get install -y nginx-light (or scripts/install-test-peers)",
            "/usr/sbin/nginx",
            "nginx");
    int port = FreePorts.next();
    try {
      Path prefix = Files.createTempDirectory("tollgate-nginx-");
      Files.createDirectories(prefix.resolve("logs"));
      Files.createDirectories(prefix.resolve("tmp"));
      String conf =
          template()
              .replace("@PREFIX@", prefix.toString())
              .replace("@PORT@", Integer.toString(port))
              .replace("@TOLLGATE@", "127.0.0.1:" + tollgatePort)
              .replace("@UPSTREAM@", "127.0.0.1:" + upstreamPort);
      Path confFile = prefix.resolve("nginx.conf");
      Files.writeString(confFile, conf);
      Process p =
          new ProcessBuilder(
                  nginx.toString(),
                  "-p",
                  prefix.toString(),
                  "-c",
                  confFile.toString(),
                  "-e",
                  prefix.resolve("logs/error.log").toString(),
                  "-g",
                  "daemon off;")
              .redirectErrorStream(true)
              .redirectOutput(prefix.resolve("logs/stdout.log").toFile())
              .start();
      NginxLauncher n = new NginxLauncher(p, prefix, port);
      n.awaitListening(Duration.ofSeconds(15));
      return n;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start nginx", e);
    }
  }

  private static String template() throws IOException {
    try (InputStream in = NginxLauncher.class.getResourceAsStream("nginx-auth-request.conf")) {
      if (in == null) {
        throw new IOException("nginx-auth-request.conf missing from test-fixtures");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private void awaitListening(Duration max) throws IOException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("nginx exited with " + process.exitValue() + ": " + log());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted waiting for nginx", ie);
        }
      }
    }
    throw new IOException("nginx did not listen on " + port + " within " + max + ": " + log());
  }

  public int port() {
    return port;
  }

  /** nginx's error log, for assertion messages. */
  public String log() {
    try {
      Path p = prefix.resolve("logs/error.log");
      return Files.exists(p) ? Files.readString(p) : "(no error log)";
    } catch (IOException e) {
      return "(error log unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    Processes.stop(process, Duration.ofSeconds(5));
  }
}
