package io.tollgate.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What {@link HttpEndpoint} does at and beyond its {@link HttpLimits}, seen from a raw socket. */
class HttpEndpointTest {
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final HttpEndpointMetrics metrics = HttpEndpointMetrics.unregistered();
  private final List<Socket> sockets = new ArrayList<>();
  private HttpEndpoint endpoint;

  /** Answers 200 with the path, or fails for {@code /fail}. */
  private final HttpHandler echo =
      new HttpHandler() {
        @Override
        public java.util.concurrent.Executor executor(HttpCall call) {
          return pool;
        }

        @Override
        public HttpReply handle(HttpCall call) {
          if (call.rawPath().equals("/fail")) {
            throw new IllegalStateException("secret detail /etc/passwd");
          }
          return HttpReply.text(200, "path=" + call.rawPath() + " query=" + call.rawQuery());
        }
      };

  private static HttpLimits small() {
    return new HttpLimits(256, 1024, 2048, Duration.ofSeconds(30), Duration.ofSeconds(30), 100, 2);
  }

  private void start(HttpLimits limits) throws IOException {
    endpoint =
        HttpEndpoint.start("test", new InetSocketAddress("127.0.0.1", 0), limits, 1, echo, metrics);
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (endpoint != null) {
      endpoint.close();
    }
    pool.shutdownNow();
  }

  @Test
  void answersAndKeepsTheConnectionAliveInOrder() throws IOException {
    start(small());
    Socket s = connect();
    // Two requests in one write: pipelined, answered in order on the same connection.
    send(s, "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    String first = response(s);
    String second = response(s);
    assertThat(first).startsWith("HTTP/1.1 200").endsWith("path=/a query=x=1");
    assertThat(second).startsWith("HTTP/1.1 200").endsWith("path=/b query=null");
  }

  @Test
  void oversizedHeadersGet431AndTheConnectionIsClosed() throws IOException {
    start(small());
    Socket s = connect();
    send(s, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + "v".repeat(2000) + "\r\n\r\n");
    assertThat(response(s)).startsWith("HTTP/1.1 431").contains("connection: close");
    assertThat(s.getInputStream().read()).isEqualTo(-1);
    assertThat(metrics.rejectedCount("test", "headers")).isEqualTo(1);
  }

  @Test
  void anOversizedRequestLineGets414() throws IOException {
    start(small());
    Socket s = connect();
    send(s, "GET /" + "a".repeat(400) + " HTTP/1.1\r\nHost: h\r\n\r\n");
    assertThat(response(s)).startsWith("HTTP/1.1 414");
    assertThat(metrics.rejectedCount("test", "line")).isEqualTo(1);
  }

  @Test
  void aDeclaredBodyOverTheLimitGets413BeforeItIsSent() throws IOException {
    start(small());
    Socket s = connect();
    send(s, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n");
    assertThat(response(s)).startsWith("HTTP/1.1 413");
    assertThat(metrics.rejectedCount("test", "body")).isEqualTo(1);
  }

  @Test
  void aChunkedBodyOverTheLimitGets413() throws IOException {
    start(small());
    Socket s = connect();
    String chunk = Integer.toHexString(1500) + "\r\n" + "x".repeat(1500) + "\r\n";
    send(s, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk);
    assertThat(response(s)).startsWith("HTTP/1.1 413");
  }

  @Test
  void aBodyWithinTheLimitIsReadAndTheRequestAnswered() throws IOException {
    start(small());
    Socket s = connect();
    send(s, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n" + "x".repeat(2000));
    assertThat(response(s)).startsWith("HTTP/1.1 200").endsWith("path=/p query=null");
  }

  @Test
  void connectionsBeyondTheLimitAreClosedAndCounted() throws IOException {
    start(small().withMaxConnections(3));
    List<Socket> held = List.of(connect(), connect(), connect());
    for (Socket s : held) {
      send(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      assertThat(response(s)).startsWith("HTTP/1.1 200");
    }
    Socket fourth = connect();
    assertThat(readToEnd(fourth)).as("closed without an answer").isEmpty();
    assertThat(metrics.refusedCount("test")).isEqualTo(1);

    held.get(0).close();
    await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.openConnections() == 2);
    Socket again = connect();
    send(again, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assertThat(response(again)).startsWith("HTTP/1.1 200");
  }

  @Test
  void aRequestThatDoesNotArriveInTimeGets408AndIsClosed() throws IOException {
    start(small().withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(30)));
    Socket s = connect();
    send(s, "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ");
    long started = System.nanoTime();
    String answer = readToEnd(s);
    assertThat(answer).startsWith("HTTP/1.1 408").contains("connection: close");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    assertThat(metrics.timedOutCount("test", "request")).isEqualTo(1);
  }

  @Test
  void aConnectionThatNeverSendsIsClosedAfterTheRequestTimeout() throws IOException {
    start(small().withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(30)));
    assertThat(readToEnd(connect())).isEmpty();
    assertThat(metrics.timedOutCount("test", "request")).isEqualTo(1);
  }

  @Test
  void anIdleKeptAliveConnectionIsClosedAfterTheIdleTimeout() throws IOException {
    start(small().withTimeouts(Duration.ofSeconds(30), Duration.ofMillis(500)));
    Socket s = connect();
    send(s, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assertThat(response(s)).startsWith("HTTP/1.1 200");
    assertThat(readToEnd(s)).isEmpty();
    assertThat(metrics.timedOutCount("test", "idle")).isEqualTo(1);
  }

  @Test
  void aHandlerFailureGets500WithAnIdAndNoDetail() throws IOException {
    start(small());
    Socket s = connect();
    send(s, "GET /fail HTTP/1.1\r\nHost: h\r\n\r\n");
    String r = response(s);
    assertThat(r)
        .startsWith("HTTP/1.1 500")
        .containsPattern("internal error \\(id [0-9a-f]{8}\\); the server log has the details")
        .doesNotContain("secret")
        .doesNotContain("IllegalState");
  }

  @Test
  void garbageGets400() throws IOException {
    start(small());
    Socket s = connect();
    send(s, "\u0001\u0002 nonsense\r\n\r\n");
    assertThat(readToEnd(s)).startsWith("HTTP/1.1 400");
  }

  @Test
  void http10WithoutKeepAliveIsClosedAfterTheAnswer() throws IOException {
    start(small());
    Socket s = connect();
    send(s, "GET /old HTTP/1.0\r\n\r\n");
    assertThat(readToEnd(s)).startsWith("HTTP/1.1 200").endsWith("path=/old query=null");
  }

  private Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", endpoint.port());
    s.setSoTimeout(30_000);
    sockets.add(s);
    return s;
  }

  private static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** One response: headers, then content-length bytes of body. */
  private static String response(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed mid-response: " + head);
      }
      head.write(b);
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int length = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return h + new String(body, StandardCharsets.UTF_8);
  }

  /** Everything until the server closes the connection. */
  private static String readToEnd(Socket s) throws IOException {
    try {
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection within 30 s", e);
    } catch (IOException reset) {
      return "";
    }
  }
}
