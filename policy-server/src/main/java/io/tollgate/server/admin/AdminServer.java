package io.tollgate.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.ReloadResult;
import io.tollgate.rules.RuntimeStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code AdminServer} is the operator's HTTP endpoint:
 *
 * <ul>
 *   <li>{@code GET /healthz}: 200 while the process runs, 503 and why once it has hit a {@linkplain
 *       FatalErrors fatal error} (out of memory, a dead internal thread): restart it;
 *   <li>{@code GET /readyz}: 200 once a policy serves, the transports listen, OPA holds the serving
 *       Rego and the quota cluster is up (when the policy needs them); else 503 and why;
 *   <li>{@code GET /metrics}: Prometheus text or protobuf exposition;
 *   <li>{@code GET /config}: JSON of the serving policy version, its files, rules and handlers, and
 *       the last failed reload's errors;
 *   <li>{@code POST /reload}: compile the policy now; needs {@code Authorization: Bearer <admin
 *       token>}, and is refused when no token is configured.
 * </ul>
 *
 * A process without a policy (a quota node) passes no runtime and serves the first three only.
 */
public final class AdminServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor;

  private static String unhealthy(String fatal) {
    return "fatal: " + fatal + "; restart the process (the log has the details)\n";
  }

  public AdminServer(
      InetSocketAddress address,
      PolicyRuntime runtime,
      PrometheusRegistry registry,
      Supplier<String> serverNotReady,
      String adminToken)
      throws IOException {
    server = HttpServer.create(address, 64);
    executor = Executors.newFixedThreadPool(2, DaemonThreads.named("tollgate-admin"));
    server.setExecutor(executor);
    server.createContext(
        "/healthz",
        ex -> {
          String fatal = FatalErrors.reason().orElse("");
          text(ex, fatal.isEmpty() ? 200 : 503, fatal.isEmpty() ? "ok\n" : unhealthy(fatal));
        });
    server.createContext(
        "/readyz",
        ex -> {
          String fatal = FatalErrors.reason().orElse("");
          if (!fatal.isEmpty()) {
            text(ex, 503, unhealthy(fatal));
            return;
          }
          String reason = serverNotReady.get();
          if (reason.isEmpty() && runtime != null) {
            reason = runtime.notReadyReason();
          }
          text(
              ex,
              reason.isEmpty() ? 200 : 503,
              reason.isEmpty() ? "ready\n" : "not ready: " + reason + "\n");
        });
    server.createContext("/metrics", new MetricsHandler(registry));
    if (runtime != null) {
      server.createContext("/config", ex -> json(ex, 200, config(runtime.status())));
      server.createContext("/reload", ex -> reload(ex, runtime, adminToken));
    }
    String paths =
        runtime != null ? "/healthz /readyz /metrics /config" : "/healthz /readyz /metrics";
    server.createContext("/", ex -> text(ex, 404, "not found; try " + paths + "\n"));
  }

  /**
   * Serves the quota dashboard: {@code /dashboard/} from the class path's {@code dashboard/}, and
   * its chart library from the WebJar at {@code /webjars/}. Call before {@link #start()}.
   */
  public void dashboard() {
    server.createContext(
        "/dashboard",
        ex -> {
          String path = ex.getRequestURI().getPath();
          if (path.equals("/dashboard")) {
            ex.getResponseHeaders().set("location", "/dashboard/");
            send(ex, 308, "text/plain; charset=utf-8", new byte[0]);
            return;
          }
          String file = path.substring("/dashboard/".length());
          resource(ex, "dashboard/" + (file.isEmpty() ? "index.html" : file));
        });
    server.createContext(
        "/webjars/",
        ex ->
            resource(
                ex,
                "META-INF/resources/webjars/"
                    + ex.getRequestURI().getPath().substring("/webjars/".length())));
  }

  private static void resource(HttpExchange ex, String name) throws IOException {
    if (!name.matches("[A-Za-z0-9._/-]+") || name.contains("..") || name.endsWith("/")) {
      text(ex, 404, "not found\n");
      return;
    }
    try (var in = AdminServer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        text(ex, 404, "not found\n");
        return;
      }
      ex.getResponseHeaders().set("cache-control", "no-cache");
      if (name.endsWith(".html")) {
        // Everything the page loads comes from this server.
        ex.getResponseHeaders()
            .set(
                "content-security-policy",
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
      }
      ex.getResponseHeaders().set("x-content-type-options", "nosniff");
      send(ex, 200, contentType(name), in.readAllBytes());
    }
  }

  private static String contentType(String name) {
    if (name.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (name.endsWith(".js")) {
      return "text/javascript; charset=utf-8";
    }
    if (name.endsWith(".css")) {
      return "text/css; charset=utf-8";
    }
    return "application/octet-stream";
  }

  /** Serves the JSON of {@code body} at {@code path} (GET). Call before {@link #start()}. */
  public void json(String path, Supplier<Object> body) {
    server.createContext(
        path,
        ex -> {
          byte[] json;
          try {
            json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body.get());
          } catch (IOException | RuntimeException e) {
            text(ex, 500, path + " failed: " + e + "\n");
            return;
          }
          send(ex, 200, "application/json", json);
        });
  }

  /**
   * Serves the text {@code body} gives at {@code path} (GET), as {@code contentType}. Call before
   * {@link #start()}.
   */
  public void text(String path, String contentType, Supplier<String> body) {
    server.createContext(
        path, ex -> send(ex, 200, contentType, body.get().getBytes(StandardCharsets.UTF_8)));
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  static Map<String, Object> config(RuntimeStatus s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", s.version());
    m.put("loadedAt", s.loadedAt() == null ? null : s.loadedAt().toString());
    m.put("files", s.files());
    m.put("rules", s.rules());
    m.put("handlers", s.handlers());
    Map<String, Object> held = new LinkedHashMap<>();
    s.quarantined().forEach((h, left) -> held.put(h, left.toMillis() / 1000.0));
    m.put("quarantinedSeconds", held);
    Map<String, Object> last = new LinkedHashMap<>();
    last.put("at", s.lastErrorAt() == null ? null : s.lastErrorAt().toString());
    last.put("errors", s.lastErrors().stream().map(ConfigError::toString).toList());
    m.put("lastReloadFailure", s.lastErrors().isEmpty() ? null : last);
    return m;
  }

  private static void reload(HttpExchange ex, PolicyRuntime runtime, String token)
      throws IOException {
    if (!ex.getRequestMethod().equals("POST")) {
      ex.getResponseHeaders().set("allow", "POST");
      text(ex, 405, "use POST\n");
      return;
    }
    if (token.isEmpty()) {
      text(ex, 403, "admin actions are off: start the server with --admin-token to enable them\n");
      return;
    }
    String auth = ex.getRequestHeaders().getFirst("authorization");
    byte[] given = auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8);
    byte[] wanted = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, wanted)) {
      ex.getResponseHeaders().set("www-authenticate", "Bearer");
      text(ex, 401, "missing or wrong admin token\n");
      return;
    }
    ReloadResult r = runtime.reload();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("swapped", r.swapped());
    m.put("version", r.version());
    m.put("errors", r.errors().stream().map(ConfigError::toString).toList());
    json(ex, r.swapped() ? 200 : 422, m);
  }

  private static void json(HttpExchange ex, int status, Object body) throws IOException {
    send(
        ex,
        status,
        "application/json",
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body));
  }

  private static void text(HttpExchange ex, int status, String body) throws IOException {
    send(ex, status, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    try (ex) {
      ex.getRequestBody().readAllBytes();
      ex.getResponseHeaders().set("content-type", type);
      ex.sendResponseHeaders(status, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
