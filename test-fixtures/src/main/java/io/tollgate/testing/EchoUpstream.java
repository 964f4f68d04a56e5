package io.tollgate.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code EchoUpstream} is a small service to put behind a proxy: it answers 200 with a line per
 * request header ({@code name: value}) and remembers the headers it was sent.
 */
public final class EchoUpstream implements AutoCloseable {
  private final HttpServer server;
  private final AtomicInteger hits = new AtomicInteger();
  private final ConcurrentLinkedQueue<Map<String, List<String>>> seen =
      new ConcurrentLinkedQueue<>();

  public EchoUpstream() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/",
        ex -> {
          try (ex) {
            hits.incrementAndGet();
            Map<String, List<String>> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            h.putAll(ex.getRequestHeaders());
            seen.add(h);
            StringBuilder b =
                new StringBuilder(
                    "upstream saw " + ex.getRequestMethod() + " " + ex.getRequestURI() + "\n");
            h.forEach(
                (k, v) ->
                    b.append(k.toLowerCase())
                        .append(": ")
                        .append(String.join(",", v))
                        .append('\n'));
            byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** How many requests reached the upstream. */
  public int hits() {
    return hits.get();
  }

  /** The headers of the most recent request, or an empty map. */
  public Map<String, List<String>> lastHeaders() {
    Map<String, List<String>> last = Map.of();
    for (Map<String, List<String>> h : seen) {
      last = h;
    }
    return last;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
