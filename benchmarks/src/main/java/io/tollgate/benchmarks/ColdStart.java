package io.tollgate.benchmarks;

import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code ColdStart} measures what the first callers of a freshly started policy server see: it
 * starts {@code tollgate.jar serve} as its own process, polls {@code /readyz} every 5 ms, and the
 * moment it answers 200 sends the first checks, one after another, each round an ext_authz Check
 * over gRPC (the bookinfo example's requests in turn), a rate-limit call and an HTTP check. It
 * prints the latency percentiles per path and how long the server took to become ready.
 *
 * <pre>
 * java -cp policy-server/target/tollgate.jar benchmarks/src/main/java/io/tollgate/benchmarks/ColdStart.java \
 *     [--jar policy-server/target/tollgate.jar] [--checks 100] [--runs 3] [--jvm OPTION]... [-- extra serve options]
 * </pre>
 *
 * <p>With {@code --jvm -XX:+PrintCompilation} it also counts the methods the JIT compiled while the
 * checks ran: what the warm-up left to compile.
 *
 * <p>The policy is the bundled example plus one rate-limit file (domain {@code edge}). The client's
 * own code is warmed first against a no-op server in this JVM, so the figures are the server's.
 */
public final class ColdStart {
  private static final String LIMITS =
      """
      domain: edge
      descriptors:
        - key: remote_address
          rate_limit: {unit: hour, requests_per_unit: 1000000}
      """;

  /** A line of -XX:+PrintCompilation: time, id, flags, tier, method. */
  private static final java.util.regex.Pattern COMPILED =
      java.util.regex.Pattern.compile("^\\s*\\d+\\s+\\d+\\s+[%sbn!]*\\s*([1-4])\\s+\\S+::");

  private ColdStart() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of("policy-server/target/tollgate.jar");
    int checks = 100;
    int runs = 3;
    List<String> extra = new ArrayList<>();
    List<String> jvm = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jvm" -> jvm.add(args[++i]);
        case "--jar" -> jar = Path.of(args[++i]);
        case "--checks" -> checks = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--" -> {
          extra.addAll(Arrays.asList(args).subList(i + 1, args.length));
          i = args.length;
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Path policy = policy(jar);
    warmClient();
    for (int run = 1; run <= runs; run++) {
      measure(run, jar, policy, checks, jvm, extra);
    }
  }

  /** The bundled example, extracted with {@code tollgate} itself, plus a rate-limit file. */
  private static Path policy(Path jar) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("tollgate-cold-start");
    Path example = dir.resolve("policy");
    // The jar carries the example under examples/bookinfo; copy it out entry by entry.
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar.toFile())) {
      for (var e : java.util.Collections.list(z.entries())) {
        if (e.getName().startsWith("examples/bookinfo/") && !e.isDirectory()) {
          Path to = example.resolve(e.getName().substring("examples/bookinfo/".length()));
          Files.createDirectories(to.getParent());
          try (InputStream in = z.getInputStream(e)) {
            Files.copy(in, to);
          }
        }
      }
    }
    Files.writeString(example.resolve("limits.yaml"), LIMITS);
    return example;
  }

  private static void measure(
      int run, Path jar, Path policy, int checks, List<String> jvm, List<String> extra)
      throws Exception {
    int grpcPort = freePort();
    int httpPort = freePort();
    int adminPort = freePort();
    int quotaPort = 20000 + new java.util.Random().nextInt(20000);
    List<String> cmd =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(jvm);
    cmd.addAll(
        List.of(
            "-jar",
            jar.toString(),
            "serve",
            "--policy",
            policy.toString(),
            "--grpc-port",
            Integer.toString(grpcPort),
            "--http-port",
            Integer.toString(httpPort),
            "--admin-port",
            Integer.toString(adminPort),
            "--quota-port",
            Integer.toString(quotaPort),
            "--reload-interval",
            "0s",
            "--decision-log",
            "off"));
    cmd.addAll(extra);
    Path log = Files.createTempFile("tollgate-cold-start", ".log");
    long started = System.nanoTime();
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    try {
      long ready = awaitReady(adminPort, p, log);
      long readyMs = (ready - started) / 1_000_000;
      var authz = AuthorizationGrpc.newBlockingStub(channel);
      var rls = RateLimitServiceGrpc.newBlockingStub(channel);
      List<CheckRequest> requests = bookinfo();
      long[] grpc = new long[checks];
      long[] rl = new long[checks];
      long[] http = new long[checks];
      for (int i = 0; i < checks; i++) {
        long t0 = System.nanoTime();
        CheckResponse r =
            authz.withDeadlineAfter(10, TimeUnit.SECONDS).check(requests.get(i % requests.size()));
        long t1 = System.nanoTime();
        RateLimitResponse l =
            rls.withDeadlineAfter(10, TimeUnit.SECONDS)
                .shouldRateLimit(
                    RateLimitRequest.newBuilder()
                        .setDomain("edge")
                        .addDescriptors(
                            RateLimitDescriptor.newBuilder()
                                .addEntries(
                                    RateLimitDescriptor.Entry.newBuilder()
                                        .setKey("remote_address")
                                        .setValue("10.9.0." + (i % 50))))
                        .build());
        long t2 = System.nanoTime();
        int status = httpCheck(httpPort, i);
        long t3 = System.nanoTime();
        if (r.getStatus().getCode() < 0
            || l.getOverallCode() == RateLimitResponse.Code.UNKNOWN
            || status < 200) {
          throw new IllegalStateException("odd answer");
        }
        grpc[i] = t1 - t0;
        rl[i] = t2 - t1;
        http[i] = t3 - t2;
      }
      System.out.printf(Locale.ROOT, "run %d: ready after %d ms%n", run, readyMs);
      report("ext_authz gRPC", grpc);
      report("rate limit   ", rl);
      report("HTTP check   ", http);
      List<String> lines = Files.readAllLines(log);
      lines.stream()
          .filter(l -> l.contains("warmed up") || l.contains("tollgate serving"))
          .forEach(l -> System.out.println("  | " + l));
      int serving = -1;
      for (int i = 0; i < lines.size(); i++) {
        serving = lines.get(i).contains("tollgate serving") ? i : serving;
      }
      if (serving >= 0 && jvm.contains("-XX:+PrintCompilation")) {
        int[] tiers = new int[5];
        for (String l : lines.subList(serving + 1, lines.size())) {
          java.util.regex.Matcher m = COMPILED.matcher(l);
          if (m.find() && !l.contains("made not entrant")) {
            tiers[Integer.parseInt(m.group(1))]++;
          }
        }
        System.out.printf(
            Locale.ROOT,
            "  compiled while the checks ran: %d at tier 1-3 (C1), %d at tier 4 (C2)%n",
            tiers[1] + tiers[2] + tiers[3],
            tiers[4]);
      }
    } finally {
      channel.shutdownNow();
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
      p.destroyForcibly();
    }
  }

  private static long awaitReady(int adminPort, Process p, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("the server exited:\n" + Files.readString(log));
      }
      try {
        HttpURLConnection c =
            (HttpURLConnection)
                URI.create("http://127.0.0.1:" + adminPort + "/readyz").toURL().openConnection();
        c.setConnectTimeout(200);
        c.setReadTimeout(1000);
        int code = c.getResponseCode();
        (code < 400 ? c.getInputStream() : c.getErrorStream()).readAllBytes();
        if (code == 200) {
          return System.nanoTime();
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException("not ready within 120 s");
  }

  private static int httpCheck(int port, int i) throws IOException {
    String path = i % 2 == 0 ? "/productpage" : "/admin/users";
    HttpURLConnection c =
        (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL().openConnection();
    c.setReadTimeout(10_000);
    int code = c.getResponseCode();
    InputStream in = code < 400 ? c.getInputStream() : c.getErrorStream();
    if (in != null) {
      in.readAllBytes();
      in.close();
    }
    return code;
  }

  private static void report(String what, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    int over = 0;
    for (long n : s) {
      over += n > 250_000_000L ? 1 : 0;
    }
    System.out.printf(
        Locale.ROOT,
        "  %s first %6.2f ms  p50 %6.2f ms  p90 %6.2f ms  p99 %7.2f ms  max %7.2f ms  over 250 ms: %d%n",
        what,
        nanos[0] / 1e6,
        pct(s, 50) / 1e6,
        pct(s, 90) / 1e6,
        pct(s, 99) / 1e6,
        s[s.length - 1] / 1e6,
        over);
  }

  /** Nearest-rank percentile of sorted values. */
  private static long pct(long[] sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private static List<CheckRequest> bookinfo() {
    return List.of(
        request("GET", "/productpage", "productpage", "10.1.2.3", ""),
        request("POST", "/productpage", "productpage", "10.1.2.3", ""),
        request(
            "GET",
            "/admin/users",
            "details",
            "10.1.2.4",
            "spiffe://cluster.local/ns/bookinfo/sa/productpage"),
        request(
            "POST",
            "/ratings/1",
            "ratings",
            "10.1.2.5",
            "spiffe://cluster.local/ns/bookinfo/sa/reviews"),
        request(
            "POST",
            "/ratings/1",
            "ratings",
            "10.1.2.6",
            "spiffe://cluster.local/ns/bookinfo/sa/productpage"),
        request("GET", "/static/../etc/passwd", "details", "10.1.2.7", ""),
        request("GET", "/productpage", "productpage", "203.0.113.9", ""));
  }

  private static CheckRequest request(
      String method, String path, String host, String ip, String principal) {
    return CheckRequest.newBuilder()
        .setAttributes(
            AttributeContext.newBuilder()
                .setSource(
                    AttributeContext.Peer.newBuilder()
                        .setPrincipal(principal)
                        .setAddress(
                            Address.newBuilder()
                                .setSocketAddress(
                                    SocketAddress.newBuilder().setAddress(ip).setPortValue(40000))))
                .setRequest(
                    AttributeContext.Request.newBuilder()
                        .setHttp(
                            AttributeContext.HttpRequest.newBuilder()
                                .setMethod(method)
                                .setPath(path)
                                .setHost(host + ":9080")
                                .setScheme("http")
                                .setProtocol("HTTP/1.1")
                                .putHeaders("user-agent", "cold-start"))))
        .build();
  }

  /** Runs this client's own calls against a no-op server in this JVM until they are compiled. */
  private static void warmClient() throws Exception {
    Server noop =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                new AuthorizationGrpc.AuthorizationImplBase() {
                  @Override
                  public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
                    out.onNext(CheckResponse.getDefaultInstance());
                    out.onCompleted();
                  }
                })
            .addService(
                new RateLimitServiceGrpc.RateLimitServiceImplBase() {
                  @Override
                  public void shouldRateLimit(
                      RateLimitRequest request, StreamObserver<RateLimitResponse> out) {
                    out.onNext(
                        RateLimitResponse.newBuilder()
                            .setOverallCode(RateLimitResponse.Code.OK)
                            .build());
                    out.onCompleted();
                  }
                })
            .build()
            .start();
    com.sun.net.httpserver.HttpServer http =
        com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    http.createContext(
        "/",
        ex -> {
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    http.start();
    ManagedChannel c =
        NettyChannelBuilder.forAddress("127.0.0.1", noop.getPort()).usePlaintext().build();
    try {
      var authz = AuthorizationGrpc.newBlockingStub(c);
      var rls = RateLimitServiceGrpc.newBlockingStub(c);
      List<CheckRequest> requests = bookinfo();
      for (int i = 0; i < 5000; i++) {
        authz.withDeadlineAfter(10, TimeUnit.SECONDS).check(requests.get(i % requests.size()));
        rls.withDeadlineAfter(10, TimeUnit.SECONDS)
            .shouldRateLimit(RateLimitRequest.newBuilder().setDomain("edge").build());
        httpCheck(http.getAddress().getPort(), i);
      }
    } finally {
      c.shutdownNow();
      noop.shutdownNow();
      http.stop(0);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
