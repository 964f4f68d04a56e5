package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tollgate.server.ServerConfig;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import io.tollgate.server.http.HttpLimits;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and idle connections cost no check its answer: with hundreds of connections held open on the
 * HTTP check port and on the admin port (half-sent requests trickling a byte a second, and
 * connections that never send), more than any pool has threads, checks over gRPC and HTTP and
 * {@code /healthz} are answered about as fast as before they opened; then the server closes every
 * one of them once its request timeout is up.
 */
class SlowClientsIT {
  /** Half-sent requests, and idle connections, per port: more than any pool has threads. */
  static final int SLOW = 200;

  static final int IDLE = 200;

  /** Long enough to measure under load before it ends, short enough to wait for. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  static final int ROUNDS = 40;

  @TempDir Path dir;
  TestServer ts;
  final List<Socket> slow = new ArrayList<>();
  final List<Socket> idle = new ArrayList<>();
  final ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() throws IOException {
    trickle.shutdownNow();
    for (Socket s : slow) {
      s.close();
    }
    for (Socket s : idle) {
      s.close();
    }
    if (ts != null) {
      ts.close();
    }
  }

  @Test
  void slowConnectionsStarveNoTransportAndAreClosedAfterTheRequestTimeout() throws Exception {
    ServerConfig base =
        TestServer.config(TestServer.itPolicy(dir), TestServer.testPlugins(), Duration.ZERO);
    ts =
        TestServer.start(
            base.toBuilder()
                .workerThreads(4)
                .httpLimits(
                    HttpLimits.checkDefaults(4).withTimeouts(REQUEST_TIMEOUT, REQUEST_TIMEOUT))
                .adminLimits(
                    HttpLimits.adminDefaults().withTimeouts(REQUEST_TIMEOUT, REQUEST_TIMEOUT))
                .build());

    Latencies before = measure();

    long opened = System.nanoTime();
    for (int port : new int[] {ts.server.httpPort(), ts.server.adminPort()}) {
      for (int i = 0; i < SLOW; i++) {
        Socket s = connect(port);
        write(s, "GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: ");
        slow.add(s);
      }
      for (int i = 0; i < IDLE; i++) {
        idle.add(connect(port));
      }
    }
    // Slowloris: a byte a second on every half-sent request, which must not extend its time.
    trickle.scheduleAtFixedRate(
        () -> {
          for (Socket s : slow) {
            try {
              write(s, "a");
            } catch (IOException closed) {
              // the server gave up on it, as it should in the end
            }
          }
        },
        1,
        1,
        TimeUnit.SECONDS);
    // The kernel completes a connection before the server accepts it: wait until all are in.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                openConnections("check") >= SLOW + IDLE && openConnections("admin") >= SLOW + IDLE);

    Latencies during = measure();
    assertThat(Duration.ofNanos(System.nanoTime() - opened))
        .as("measured while the slow connections were held (else the machine is too slow here)")
        .isLessThan(REQUEST_TIMEOUT);
    assertThat(openConnections("check")).isGreaterThanOrEqualTo(SLOW + IDLE);

    during.assertComparableTo(before);

    // Every slow connection is closed once its request timeout is up: a 408 for a half-sent
    // request, a plain close for one that never sent anything.
    for (Socket s : slow) {
      assertThat(readUntilClosed(s)).startsWith("HTTP/1.1 408");
    }
    for (Socket s : idle) {
      assertThat(readUntilClosed(s)).isEmpty();
    }
    Duration allClosed = Duration.ofNanos(System.nanoTime() - opened);
    assertThat(allClosed)
        .as("closed after the request timeout, trickling or not")
        .isLessThan(REQUEST_TIMEOUT.plusSeconds(30));
    assertThat(counter("tollgate_http_connections_timed_out_total", "check", "request"))
        .isGreaterThanOrEqualTo(SLOW + IDLE);
    assertThat(counter("tollgate_http_connections_timed_out_total", "admin", "request"))
        .isGreaterThanOrEqualTo(SLOW + IDLE);
    // And the server serves on.
    measure();
  }

  /** {@link #ROUNDS} of a gRPC check, an HTTP check and {@code /healthz}, each timed. */
  Latencies measure() throws Exception {
    Latencies l = new Latencies();
    for (int i = 0; i < ROUNDS; i++) {
      l.grpc[i] =
          timed(
              () ->
                  ts.check(EnvoyCheckRequest.http("GET", "details", "/admin").build())
                      .getDeniedResponse()
                      .getStatus()
                      .getCodeValue(),
              403);
      l.http[i] =
          timed(
              () ->
                  ts.send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + ts.server.httpPort() + "/admin"))
                              .header("host", "details")
                              .timeout(Duration.ofSeconds(10))
                              .build())
                      .statusCode(),
              403);
      l.healthz[i] = timed(() -> ts.admin("/healthz").statusCode(), 200);
    }
    return l;
  }

  static long timed(IntSupplier call, int expected) {
    long t = System.nanoTime();
    assertThat(call.getAsInt()).isEqualTo(expected);
    return System.nanoTime() - t;
  }

  /** Latencies in nanoseconds, per transport. */
  static final class Latencies {
    final long[] grpc = new long[ROUNDS];
    final long[] http = new long[ROUNDS];
    final long[] healthz = new long[ROUNDS];

    /**
     * Generous bounds, relative to the baseline where they can be: the median within ten times the
     * baseline's (or 50 ms more), and no call over 5 s. Starved, a call would wait for the request
     * timeout (15 s) or time out.
     */
    void assertComparableTo(Latencies base) {
      compare("gRPC check", grpc, base.grpc);
      compare("HTTP check", http, base.http);
      compare("/healthz", healthz, base.healthz);
    }

    private static void compare(String what, long[] now, long[] base) {
      long median = median(now);
      long baseMedian = median(base);
      long bound = Math.max(10 * baseMedian, baseMedian + TimeUnit.MILLISECONDS.toNanos(50));
      System.out.printf(
          "SlowClientsIT: %s median %.2f ms, slowest %.2f ms (before: %.2f ms, %.2f ms)%n",
          what,
          median / 1e6,
          Arrays.stream(now).max().orElseThrow() / 1e6,
          baseMedian / 1e6,
          Arrays.stream(base).max().orElseThrow() / 1e6);
      assertThat(median)
          .as(
              "%s median %.2f ms with slow connections held, %.2f ms before",
              what, median / 1e6, baseMedian / 1e6)
          .isLessThanOrEqualTo(bound);
      assertThat(Arrays.stream(now).max().orElseThrow())
          .as("%s slowest call", what)
          .isLessThan(TimeUnit.SECONDS.toNanos(5));
    }

    private static long median(long[] a) {
      long[] s = a.clone();
      Arrays.sort(s);
      return s[s.length / 2];
    }
  }

  static Socket connect(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout((int) REQUEST_TIMEOUT.plusSeconds(30).toMillis());
    return s;
  }

  static void write(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** What the server sends until it closes; a test failure if it keeps the connection open. */
  static String readUntilClosed(Socket s) throws IOException {
    try {
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept a slow connection open past its request timeout");
    } catch (IOException reset) {
      return "";
    }
  }

  int openConnections(String endpoint) {
    return (int) counter("tollgate_http_connections_open", endpoint, null);
  }

  /** A sample of {@code name} from {@code /metrics}, by endpoint (and reason); 0 when absent. */
  double counter(String name, String endpoint, String reason) {
    String body = ts.admin("/metrics").body();
    String labels =
        "endpoint=\"" + endpoint + "\"" + (reason == null ? "" : ",reason=\"" + reason + "\"");
    Matcher m =
        Pattern.compile(
                "^" + Pattern.quote(name + "{" + labels + "}") + " (\\S+)$", Pattern.MULTILINE)
            .matcher(body);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
