package io.tollgate.server.warmup;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.quota.config.ReservedDomains;
import io.tollgate.rules.Warmer;
import io.tollgate.rules.snapshot.PolicySnapshot;
import io.tollgate.server.ServerConfig;
import io.tollgate.server.http.HttpCheckHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code WarmUpTraffic} warms a policy version up before it serves, by sending the server's own
 * listeners what proxies will send: each round an ext_authz {@code Check} over gRPC (alternately
 * with the destination in the context extensions and only in the Host header), an HTTP check
 * (alternately Envoy's HTTP service and nginx's endpoint) and a rate-limit call on the reserved
 * domain {@value ReservedDomains#WARM_UP} (alternately strict and fast), cycling through {@link
 * WarmUpRequests}. Every call carries the {@link WarmUpCalls} token, so the listeners decide it
 * with the version being warmed and record it nowhere.
 *
 * <p>It stops after {@link ServerConfig.WarmUp#rounds()} rounds or at {@link
 * ServerConfig.WarmUp#time()}, whichever comes first, and logs what it sent and how long it took. A
 * call that fails is counted and the warm-up goes on: warming only makes the first answers fast, so
 * a warm-up that goes badly never keeps a version from serving. Not thread-safe: the runtime warms
 * one version at a time.
 */
public final class WarmUpTraffic implements Warmer, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WarmUpTraffic.class);
  private static final Set<String> PLAIN_METHODS =
      Set.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS");

  /**
   * Calls in flight at once: one caller at a time leaves the cores idle between a call and its
   * answer, so a fresh JVM got through only a few dozen rounds in its time and served its first
   * checks interpreted.
   */
  static final int CALLERS = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());

  private static final Pattern URI_PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*");

  private final ServerConfig.WarmUp plan;
  private final WarmUpCalls calls;
  private final String host;
  private final int grpcPort;
  private final int httpPort;
  private final Consumer<PolicySnapshot> before;
  private final Runnable after;
  private ManagedChannel channel;

  /**
   * @param plan how long and how much
   * @param calls the token the calls carry
   * @param bind the address the listeners are bound to
   * @param grpcPort the gRPC port
   * @param httpPort the HTTP check port, or -1 when it is off
   * @param before runs before each warm-up, outside its time (e.g. opens the quota cluster the
   *     version needs)
   * @param after runs after each warm-up (e.g. forgets the buckets it spent from)
   */
  public WarmUpTraffic(
      ServerConfig.WarmUp plan,
      WarmUpCalls calls,
      String bind,
      int grpcPort,
      int httpPort,
      Consumer<PolicySnapshot> before,
      Runnable after) {
    this.plan = plan;
    this.calls = calls;
    this.host = reachable(bind);
    this.grpcPort = grpcPort;
    this.httpPort = httpPort;
    this.before = before;
    this.after = after;
  }

  /** The address to call a listener bound to {@code bind} at: loopback for a wildcard. */
  private static String reachable(String bind) {
    try {
      InetAddress a = InetAddress.getByName(bind);
      if (a.isAnyLocalAddress()) {
        return a instanceof java.net.Inet6Address ? "::1" : "127.0.0.1";
      }
    } catch (UnknownHostException e) {
      // a name: use it as it is
    }
    return bind;
  }

  /**
   * What one warm-up did.
   *
   * @param version the policy version it warmed
   * @param rounds rounds sent
   * @param grpcFailures ext_authz calls that got no answer
   * @param httpFailures HTTP checks that got no answer
   * @param rateLimitFailures rate-limit calls that got no answer
   * @param firstFailure the first of those, or {@code null}
   * @param millis how long it took
   * @param outOfTime whether it stopped at its time limit before sending every round
   */
  public record Report(
      long version,
      int rounds,
      int grpcFailures,
      int httpFailures,
      int rateLimitFailures,
      String firstFailure,
      long millis,
      boolean outOfTime) {}

  private volatile Report last;

  /** The last warm-up's report, or {@code null} before the first. */
  public Report last() {
    return last;
  }

  @Override
  public void warm(PolicySnapshot snapshot) {
    if (!plan.on()) {
      return;
    }
    before.accept(snapshot);
    List<Map<String, String>> shapes = WarmUpRequests.of(snapshot);
    Report r;
    try {
      r = send(snapshot.version(), shapes);
      last = r;
    } finally {
      after.run();
    }
    String what =
        String.format(
            "in %d ms%s: %d rounds of an ext_authz check over gRPC, %s and a rate-limit call on domain %s; "
                + "%d request shapes, %d from the rules' conditions",
            r.millis(),
            r.outOfTime()
                ? " (its time limit, "
                    + plan.time().toMillis()
                    + " ms; "
                    + plan.rounds()
                    + " rounds planned)"
                : "",
            r.rounds(),
            httpPort < 0 ? "no HTTP check (port off)" : "an HTTP check",
            ReservedDomains.WARM_UP,
            shapes.size(),
            snapshot.ruleExamples().size());
    int failures = r.grpcFailures() + r.httpFailures() + r.rateLimitFailures();
    if (failures == 0) {
      log.info("policy version {} warmed up {}", snapshot.version(), what);
    } else {
      log.warn(
          "policy version {} warmed up {}; {} calls failed (gRPC {}, HTTP {}, rate limit {}; first: {}), it serves "
              + "anyway and its first answers may be slow",
          snapshot.version(),
          what,
          failures,
          r.grpcFailures(),
          r.httpFailures(),
          r.rateLimitFailures(),
          r.firstFailure());
    }
  }

  private Report send(long version, List<Map<String, String>> shapes) {
    long start = System.nanoTime();
    long deadline = start + plan.time().toNanos();
    Metadata token = new Metadata();
    token.put(WarmUpCalls.METADATA, calls.token());
    ManagedChannel ch = channel();
    AuthorizationGrpc.AuthorizationBlockingStub authz =
        AuthorizationGrpc.newBlockingStub(ch)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(token));
    RateLimitServiceGrpc.RateLimitServiceBlockingStub rls =
        RateLimitServiceGrpc.newBlockingStub(ch)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(token));
    Tally grpc = new Tally("ext_authz");
    Tally httpCalls = new Tally("HTTP check");
    Tally rateLimit = new Tally("rate limit");
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    Runnable caller =
        () -> {
          int i;
          while (System.nanoTime() < deadline && (i = next.getAndIncrement()) < plan.rounds()) {
            int round = i;
            Map<String, String> shape = shapes.get(round % shapes.size());
            grpc.call(
                deadline,
                left ->
                    authz
                        .withDeadlineAfter(left, TimeUnit.NANOSECONDS)
                        .check(WarmUpRequests.check(shape, round % 2 == 0, round)));
            if (httpPort >= 0) {
              httpCalls.call(deadline, left -> http(shape, round % 2 == 0, left));
            }
            rateLimit.call(
                deadline,
                left ->
                    rls.withDeadlineAfter(left, TimeUnit.NANOSECONDS)
                        .shouldRateLimit(
                            RateLimitRequest.newBuilder()
                                .setDomain(ReservedDomains.WARM_UP)
                                .addDescriptors(
                                    RateLimitDescriptor.newBuilder()
                                        .addEntries(
                                            RateLimitDescriptor.Entry.newBuilder()
                                                .setKey(ReservedDomains.WARM_UP_KEY)
                                                .setValue(round % 2 == 0 ? "strict" : "fast")))
                                .build()));
            done.incrementAndGet();
          }
        };
    ThreadFactory callerThreads = DaemonThreads.numbered("tollgate-warm-up");
    Thread[] callers = new Thread[CALLERS];
    for (int c = 0; c < callers.length; c++) {
      callers[c] = callerThreads.newThread(caller);
      callers[c].start();
    }
    for (Thread t : callers) {
      joinUninterruptibly(t);
    }
    int rounds = done.get();
    String first =
        grpc.first != null
            ? grpc.first
            : httpCalls.first != null ? httpCalls.first : rateLimit.first;
    return new Report(
        version,
        rounds,
        grpc.failures,
        httpCalls.failures,
        rateLimit.failures,
        first,
        (System.nanoTime() - start) / 1_000_000,
        rounds < plan.rounds());
  }

  /** Every call has a deadline within the warm-up's, so a caller always ends. */
  private static void joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** One warm-up call, given the nanoseconds left. */
  @FunctionalInterface
  private interface Call {
    void run(long nanosLeft) throws IOException;
  }

  /** The failures of one kind of call; one that fails because the time is up is not one. */
  private static final class Tally {
    final String what;
    int failures;
    String first;

    Tally(String what) {
      this.what = what;
    }

    void call(long deadline, Call c) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      try {
        c.run(left);
      } catch (IOException | RuntimeException e) {
        if (System.nanoTime() < deadline) {
          synchronized (this) {
            failures++;
            first = first == null ? what + ": " + e : first;
          }
        }
      }
    }
  }

  private void http(Map<String, String> shape, boolean nginx, long nanosLeft) throws IOException {
    String method = shape.getOrDefault(Vocabulary.REQUEST_METHOD, "GET");
    String original = WarmUpRequests.path(shape);
    // HttpURLConnection sends only the usual methods and a path must be a valid URI: the nginx
    // endpoint takes both in headers.
    nginx |= !PLAIN_METHODS.contains(method) || !URI_PATH.matcher(original).matches();
    String path = nginx ? HttpCheckHandler.NGINX_PATH : original;
    String h = host.contains(":") ? "[" + host + "]" : host;
    HttpURLConnection c =
        (HttpURLConnection)
            URI.create("http://" + h + ":" + httpPort + path).toURL().openConnection();
    int timeout = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanosLeft));
    c.setConnectTimeout(timeout);
    c.setReadTimeout(timeout);
    c.setRequestMethod(nginx ? "GET" : method);
    c.setRequestProperty(WarmUpCalls.HEADER, calls.token());
    c.setRequestProperty("User-Agent", "tollgate-warm-up");
    if (nginx) {
      WarmUpRequests.nginxHeaders(shape).forEach(c::setRequestProperty);
    }
    int status = c.getResponseCode();
    try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
      if (in != null) {
        in.readAllBytes(); // so that the connection is kept for the next round
      }
    }
  }

  private ManagedChannel channel() {
    if (channel == null) {
      channel =
          NettyChannelBuilder.forAddress(host, grpcPort).usePlaintext().directExecutor().build();
    }
    return channel;
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
  }
}
