package io.tollgate.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.ReloadResult;
import io.tollgate.rules.RuntimeStatus;
import io.tollgate.server.http.HttpCall;
import io.tollgate.server.http.HttpEndpoint;
import io.tollgate.server.http.HttpEndpointMetrics;
import io.tollgate.server.http.HttpHandler;
import io.tollgate.server.http.HttpLimits;
import io.tollgate.server.http.HttpReply;
import io.tollgate.server.http.InternalErrors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>It is served by an {@link HttpEndpoint} with the admin {@link HttpLimits}: a slow or idle
 * connection holds no thread. {@code /healthz} and {@code /readyz} run on a thread of their own, so
 * that a long {@code /reload} or {@code /metrics} scrape on the other two cannot make a probe time
 * out.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One path's answer. */
  @FunctionalInterface
  private interface Route {
    HttpReply handle(HttpCall call) throws Exception;
  }

  private final Map<String, Route> exact = new ConcurrentHashMap<>();
  private final Map<String, Route> prefixed = new ConcurrentHashMap<>();
  private final Map<String, Route> probes = new ConcurrentHashMap<>();
  private final ExecutorService work;
  private final ExecutorService probeThread;
  private final HttpEndpoint endpoint;
  private final String paths;
  private volatile boolean started;

  private static String unhealthy(String fatal) {
    return "fatal: " + fatal + "; restart the process (the log has the details)\n";
  }

  /** An admin server with the default admin limits, its metrics on {@code registry}. */
  public AdminServer(
      InetSocketAddress address,
      PolicyRuntime runtime,
      PrometheusRegistry registry,
      Supplier<String> serverNotReady,
      String adminToken)
      throws IOException {
    this(
        address,
        runtime,
        registry,
        serverNotReady,
        adminToken,
        HttpLimits.adminDefaults(),
        new HttpEndpointMetrics(registry));
  }

  /**
   * Listens on {@code address} at once; answers 503 until {@link #start()}.
   *
   * @param runtime the policy runtime, for {@code /config} and {@code /reload}; {@code null} for a
   *     process without a policy
   * @param serverNotReady why the process is not ready, empty when it is; may block briefly (it
   *     runs on the probe thread)
   * @param adminToken the bearer token {@code /reload} needs; empty turns it off
   * @param metrics where the endpoint counts what its limits cut off
   * @throws IOException if {@code address} cannot be bound
   */
  public AdminServer(
      InetSocketAddress address,
      PolicyRuntime runtime,
      PrometheusRegistry registry,
      Supplier<String> serverNotReady,
      String adminToken,
      HttpLimits limits,
      HttpEndpointMetrics metrics)
      throws IOException {
    probes.put(
        "/healthz",
        call -> {
          String fatal = FatalErrors.reason().orElse("");
          return fatal.isEmpty()
              ? HttpReply.text(200, "ok\n")
              : HttpReply.text(503, unhealthy(fatal));
        });
    probes.put(
        "/readyz",
        call -> {
          String fatal = FatalErrors.reason().orElse("");
          if (!fatal.isEmpty()) {
            return HttpReply.text(503, unhealthy(fatal));
          }
          String reason = serverNotReady.get();
          if (reason.isEmpty() && runtime != null) {
            reason = runtime.notReadyReason();
          }
          return reason.isEmpty()
              ? HttpReply.text(200, "ready\n")
              : HttpReply.text(503, "not ready: " + reason + "\n");
        });
    exact.put("/metrics", new MetricsRoute(registry)::handle);
    if (runtime != null) {
      exact.put("/config", call -> json(200, config(runtime.status())));
      exact.put("/reload", call -> reload(call, runtime, adminToken));
    }
    paths = runtime != null ? "/healthz /readyz /metrics /config" : "/healthz /readyz /metrics";
    work = HttpEndpoint.pool("tollgate-admin", limits.threads(), limits.maxConnections());
    probeThread = HttpEndpoint.pool("tollgate-admin-probe", 1, limits.maxConnections());
    try {
      endpoint = HttpEndpoint.start("admin", address, limits, 1, new Router(), metrics);
    } catch (IOException | RuntimeException e) {
      work.shutdownNow();
      probeThread.shutdownNow();
      throw e;
    }
  }

  /** Picks the route of a path: exact, then the longest prefix that ends in {@code /}. */
  private final class Router implements HttpHandler {
    @Override
    public Executor executor(HttpCall call) {
      return probes.containsKey(call.rawPath()) ? probeThread : work;
    }

    @Override
    public HttpReply handle(HttpCall call) throws Exception {
      if (!started) {
        return HttpReply.text(503, "starting\n");
      }
      String path = call.rawPath();
      Route r = probes.get(path);
      if (r == null) {
        r = exact.get(path);
      }
      if (r == null) {
        String best = "";
        for (String prefix : prefixed.keySet()) {
          if (path.startsWith(prefix) && prefix.length() > best.length()) {
            best = prefix;
          }
        }
        r = prefixed.get(best);
      }
      return r != null ? r.handle(call) : HttpReply.text(404, "not found; try " + paths + "\n");
    }
  }

  /**
   * Serves the quota dashboard: {@code /dashboard/} from the class path's {@code dashboard/}, and
   * its chart library from the WebJar at {@code /webjars/}. Call before {@link #start()}.
   */
  public void dashboard() {
    exact.put("/dashboard", call -> HttpReply.status(308).set("location", "/dashboard/"));
    prefixed.put(
        "/dashboard/",
        call -> {
          String file = call.rawPath().substring("/dashboard/".length());
          return resource("dashboard/" + (file.isEmpty() ? "index.html" : file));
        });
    prefixed.put(
        "/webjars/",
        call ->
            resource(
                "META-INF/resources/webjars/" + call.rawPath().substring("/webjars/".length())));
  }

  private static HttpReply resource(String name) throws IOException {
    if (!name.matches("[A-Za-z0-9._/-]+") || name.contains("..") || name.endsWith("/")) {
      return HttpReply.text(404, "not found\n");
    }
    try (var in = AdminServer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        return HttpReply.text(404, "not found\n");
      }
      HttpReply r = HttpReply.status(200).body(contentType(name), in.readAllBytes());
      r.set("cache-control", "no-cache");
      if (name.endsWith(".html")) {
        // Everything the page loads comes from this server.
        r.set(
            "content-security-policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
      }
      return r.set("x-content-type-options", "nosniff");
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
    exact.put(
        path,
        call -> {
          try {
            return json(200, body.get());
          } catch (IOException | RuntimeException e) {
            return HttpReply.text(500, InternalErrors.log(log, path, e) + "\n");
          }
        });
  }

  /**
   * Serves the text {@code body} gives at {@code path} (GET), as {@code contentType}. Call before
   * {@link #start()}.
   */
  public void text(String path, String contentType, Supplier<String> body) {
    exact.put(
        path,
        call ->
            HttpReply.status(200).body(contentType, body.get().getBytes(StandardCharsets.UTF_8)));
  }

  /** Answers requests from now on (before, every request gets 503). */
  public void start() {
    started = true;
  }

  public int port() {
    return endpoint.port();
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

  private static HttpReply reload(HttpCall call, PolicyRuntime runtime, String token)
      throws IOException {
    if (!call.method().equals("POST")) {
      return HttpReply.text(405, "use POST\n").set("allow", "POST");
    }
    if (token.isEmpty()) {
      return HttpReply.text(
          403, "admin actions are off: start the server with --admin-token to enable them\n");
    }
    String auth = call.header("authorization");
    byte[] given = auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8);
    byte[] wanted = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, wanted)) {
      return HttpReply.text(401, "missing or wrong admin token\n")
          .set("www-authenticate", "Bearer");
    }
    ReloadResult r = runtime.reload();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("swapped", r.swapped());
    m.put("version", r.version());
    m.put("errors", r.errors().stream().map(ConfigError::toString).toList());
    return json(r.swapped() ? 200 : 422, m);
  }

  private static HttpReply json(int status, Object body) throws IOException {
    return HttpReply.json(status, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body));
  }

  @Override
  public void close() {
    endpoint.close();
    work.shutdownNow();
    probeThread.shutdownNow();
  }
}
