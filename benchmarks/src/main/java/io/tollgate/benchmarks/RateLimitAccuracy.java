package io.tollgate.benchmarks;

import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitRequest;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code RateLimitAccuracy} checks what a rate-limit service admits: {@code --workers} concurrent
 * clients call {@code ShouldRateLimit} for {@code --tenants} keys ({@code acc_tenant}, a per-second
 * limit of {@code --limit}) for {@code --seconds}, and every admitted call is counted in its
 * window: the second in which it was both sent and answered (client and servers share this
 * machine's clock). A call that straddles a second is left out as uncertain, so what is counted is
 * certain. Over-admission is the sum, over keys and windows, of what was admitted beyond the limit.
 *
 * <pre>
 * java -cp benchmarks.jar io.tollgate.benchmarks.RateLimitAccuracy --port N [--tenants 20] [--limit 20] [--seconds 5] [--workers 16]
 * </pre>
 *
 * Prints {@code calls=.. uncertain=.. admitted=.. windows=.. over_admitted=.. max_in_window=..}.
 */
public final class RateLimitAccuracy {
  private RateLimitAccuracy() {}

  public static void main(String[] args) throws Exception {
    int port = -1;
    int tenants = 20;
    int limit = 20;
    int seconds = 5;
    int workers = 16;
    for (int i = 0; i + 1 < args.length; i += 2) {
      int v = Integer.parseInt(args[i + 1]);
      switch (args[i]) {
        case "--port" -> port = v;
        case "--tenants" -> tenants = v;
        case "--limit" -> limit = v;
        case "--seconds" -> seconds = v;
        case "--workers" -> workers = v;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    String run = Long.toString(System.currentTimeMillis(), 36);
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    RateLimitServiceGrpc.RateLimitServiceBlockingStub stub =
        RateLimitServiceGrpc.newBlockingStub(ch);
    Map<String, AtomicLong> admitted = new ConcurrentHashMap<>();
    AtomicLong calls = new AtomicLong();
    AtomicLong uncertain = new AtomicLong();
    AtomicLong next = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    List<Future<?>> fs = new ArrayList<>();
    int n = tenants;
    for (int w = 0; w < workers; w++) {
      fs.add(
          pool.submit(
              () -> {
                while (System.nanoTime() < end) {
                  String tenant = run + "-" + (next.getAndIncrement() % n);
                  long sent = System.currentTimeMillis();
                  RateLimitResponse r =
                      stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                          .shouldRateLimit(
                              RateLimitRequest.newBuilder()
                                  .setDomain("bench")
                                  .addDescriptors(
                                      RateLimitDescriptor.newBuilder()
                                          .addEntries(
                                              RateLimitDescriptor.Entry.newBuilder()
                                                  .setKey("acc_tenant")
                                                  .setValue(tenant)))
                                  .build());
                  long now = System.currentTimeMillis();
                  calls.incrementAndGet();
                  if (sent / 1000 != now / 1000) {
                    uncertain.incrementAndGet();
                  } else if (r.getOverallCode() == RateLimitResponse.Code.OK) {
                    admitted
                        .computeIfAbsent(tenant + "@" + now / 1000, k -> new AtomicLong())
                        .incrementAndGet();
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : fs) {
      f.get(seconds + 60L, TimeUnit.SECONDS);
    }
    pool.shutdown();
    ch.shutdownNow();
    long total = 0;
    long over = 0;
    long max = 0;
    for (AtomicLong a : admitted.values()) {
      total += a.get();
      over += Math.max(0, a.get() - limit);
      max = Math.max(max, a.get());
    }
    System.out.printf(
        "calls=%d uncertain=%d admitted=%d windows=%d over_admitted=%d max_in_window=%d limit=%d%n",
        calls.get(), uncertain.get(), total, admitted.size(), over, max, limit);
  }
}
