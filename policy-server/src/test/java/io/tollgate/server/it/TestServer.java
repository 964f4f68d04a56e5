package io.tollgate.server.it;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tollgate.server.BundledPolicy;
import io.tollgate.server.DecisionLog;
import io.tollgate.server.PolicyServer;
import io.tollgate.server.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code TestServer} runs a real {@link PolicyServer} on free loopback ports with a real gRPC
 * channel to it, for integration tests.
 */
final class TestServer implements AutoCloseable {
  static final String ADMIN_TOKEN = "test-admin-token";

  final PolicyServer server;
  final ManagedChannel channel;
  final AuthorizationGrpc.AuthorizationBlockingStub authz;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  TestServer(PolicyServer server) {
    this.server = server;
    this.channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    this.authz = AuthorizationGrpc.newBlockingStub(channel);
  }

  static TestServer start(Path policy, Path plugins, Duration reloadInterval) {
    return start(config(policy, plugins, reloadInterval));
  }

  /** The config {@link #start(Path, Path, Duration)} uses, to change before starting. */
  static ServerConfig config(Path policy, Path plugins, Duration reloadInterval) {
    return ServerConfig.ephemeral()
        .withPolicy(policy, plugins)
        .withReloadInterval(reloadInterval)
        .withDecisionLog(DecisionLog.Mode.OFF, 1)
        .withAdminToken(ADMIN_TOKEN);
  }

  /**
   * {@link #start(Path, Path, Duration)} with {@code --reveal-rule true}: for tests that tell
   * denials apart by the {@code x-tollgate-rule} header or the body's {@code rule}.
   */
  static TestServer startRevealing(Path policy, Path plugins, Duration reloadInterval) {
    return start(revealing(config(policy, plugins, reloadInterval)));
  }

  /** {@code config} with denials naming their rule, handler and policy version. */
  static ServerConfig revealing(ServerConfig config) {
    return config.toBuilder().revealRule(true).build();
  }

  static TestServer start(ServerConfig config) {
    try {
      return new TestServer(PolicyServer.start(config));
    } catch (Exception e) {
      throw new AssertionError("test server did not start: " + e, e);
    }
  }

  /**
   * The bundled bookinfo example plus {@code it-policy/} (regex list, apikey plugin) in {@code
   * dir}.
   */
  static Path itPolicy(Path dir) throws IOException {
    BundledPolicy.copyTo(dir);
    copyResource("it-policy/extras.yaml", dir.resolve("extras.yaml"));
    Files.createDirectories(dir.resolve("keys"));
    copyResource("it-policy/keys/api-keys.txt", dir.resolve("keys/api-keys.txt"));
    return dir;
  }

  /** Where the build put the example plugin jar (kept off the test class path). */
  static Path testPlugins() {
    String p = System.getProperty("tollgate.testPlugins", "target/test-plugins");
    Path dir = Path.of(p);
    if (!Files.isDirectory(dir)) {
      throw new AssertionError(
          "no example plugin jar in "
              + dir.toAbsolutePath()
              + "; run through Maven (mvn verify) so the build copies it there");
    }
    return dir;
  }

  static void copyResource(String name, Path to) throws IOException {
    try (InputStream in = TestServer.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("test resource missing: " + name);
      }
      Files.copy(in, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  CheckResponse check(CheckRequest r) {
    return authz.withDeadlineAfter(10, TimeUnit.SECONDS).check(r);
  }

  HttpResponse<String> admin(String path) {
    return get("http://127.0.0.1:" + server.adminPort() + path);
  }

  HttpResponse<String> reload() {
    return send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + "/reload"))
            .header("authorization", "Bearer " + ADMIN_TOKEN)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build());
  }

  HttpResponse<String> get(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).GET().build());
  }

  HttpResponse<String> send(HttpRequest r) {
    try {
      return http.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
  }
}
