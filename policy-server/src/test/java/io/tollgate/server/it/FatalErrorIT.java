package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process that hits a fatal error does not stay half-alive: a plugin handler that throws {@code
 * OutOfMemoryError} on a request thread (as a real one would when the heap runs out) kills that
 * thread; from then on {@code /healthz} and {@code /readyz} answer 503 and say why, and with {@code
 * --exit-on-fatal} the process exits with status 70.
 */
class FatalErrorIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** An adapter whose handler runs out of memory on every request it is called for. */
  private static final String ADAPTER =
      """
      package fatal;

      import io.tollgate.adapter.spi.*;
      import java.util.Set;

      public final class ExhaustingAdapter implements Adapter {
        public String name() { return "exhausting"; }
        public String description() { return "throws OutOfMemoryError, as a handler does when the heap is gone"; }
        public Set<String> templates() { return Set.of("checknothing"); }
        public Handler build(HandlerSpec spec) {
          return (CheckHandler) (instance, attributes) -> {
            throw new OutOfMemoryError("Java heap space (thrown by the test plugin)");
          };
        }
      }
      """;

  @TempDir static Path dir;
  static Path plugins;
  static Path policy;

  @BeforeAll
  static void pluginAndPolicy() throws Exception {
    plugins = Files.createDirectories(dir.resolve("plugins"));
    Path src = Files.createDirectories(dir.resolve("src/fatal")).resolve("ExhaustingAdapter.java");
    Files.writeString(src, ADAPTER);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc =
        javac.run(
            null,
            null,
            null,
            "-cp",
            System.getProperty("java.class.path"),
            "-d",
            classes.toString(),
            src.toString());
    assertThat(rc).as("the test plugin compiles").isZero();
    try (JarOutputStream jar =
        new JarOutputStream(Files.newOutputStream(plugins.resolve("exhausting.jar")))) {
      put(
          jar,
          "fatal/ExhaustingAdapter.class",
          Files.readAllBytes(classes.resolve("fatal/ExhaustingAdapter.class")));
      put(
          jar,
          "META-INF/services/io.tollgate.adapter.spi.Adapter",
          "fatal.ExhaustingAdapter\n".getBytes(StandardCharsets.UTF_8));
    }
    policy = Files.createDirectories(dir.resolve("policy"));
    Files.writeString(
        policy.resolve("policy.yaml"),
        """
        kind: Handler
        name: exhausting
        adapter: exhausting
        ---
        kind: Rule
        name: exhaust-on-request
        match: '"x-exhaust" in request.headers'
        actions:
        - handler: exhausting
        """);
  }

  private static void put(JarOutputStream jar, String name, byte[] bytes) throws Exception {
    jar.putNextEntry(new JarEntry(name));
    jar.write(bytes);
    jar.closeEntry();
  }

  private static HttpResponse<String> get(ServerProcess s, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.adminPort + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void exhaust(ServerProcess s) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", s.grpcPort).usePlaintext().build();
    try {
      AuthorizationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(EnvoyCheckRequest.http("GET", "shop", "/").header("x-exhaust", "1").build());
    } catch (StatusRuntimeException expected) {
      // the call fails; what matters is what the server says of itself afterwards
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aFatalErrorMakesTheServerUnhealthyAndUnreadyAndSaysWhy() throws Exception {
    try (ServerProcess s =
        ServerProcess.start("--policy", policy.toString(), "--plugins", plugins.toString())) {
      assertThat(get(s, "/healthz").statusCode()).isEqualTo(200);
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(s, "/readyz").statusCode() == 200);
      exhaust(s);
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> get(s, "/healthz").statusCode() == 503);
      for (String path : List.of("/healthz", "/readyz")) {
        HttpResponse<String> r = get(s, path);
        assertThat(r.statusCode()).as(path).isEqualTo(503);
        assertThat(r.body())
            .as(path)
            .startsWith("fatal: ")
            .contains("OutOfMemoryError")
            .contains("restart the process");
      }
      assertThat(get(s, "/metrics").body()).contains("tollgate_fatal_error 1.0");
      assertThat(s.process.isAlive()).as("without --exit-on-fatal it stays up").isTrue();
    }
  }

  @Test
  void withExitOnFatalTheProcessExitsWithStatus70() throws Exception {
    try (ServerProcess s =
        ServerProcess.start(
            "--policy", policy.toString(), "--plugins", plugins.toString(), "--exit-on-fatal")) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> get(s, "/readyz").statusCode() == 200);
      exhaust(s);
      assertThat(s.process.waitFor(60, TimeUnit.SECONDS)).as("exits:\n" + s.log()).isTrue();
      assertThat(s.process.exitValue()).isEqualTo(70);
      assertThat(s.log()).contains("fatal: ").contains("OutOfMemoryError");
    }
  }
}
