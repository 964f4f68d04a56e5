package io.tollgate.benchmarks;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.HazelcastQuotas;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code QuotaMemory} measures what quota buckets cost: one embedded quota member (the one a policy
 * server starts) spends one hit from each of {@code --keys} distinct keys (as many
 * envoyproxy/ratelimit-style descriptors as there are active clients), then reports the heap the
 * buckets hold after a full GC, per million keys, and the rate of new keys it sustained. A second
 * member with a bucket cap of {@code --cap} takes the same flood to show that memory stays bounded:
 * the least recently used buckets go.
 *
 * <pre>
 * java -Xmx4g -cp benchmarks.jar io.tollgate.benchmarks.QuotaMemory [--keys N] [--cap N] [--threads N]
 * </pre>
 *
 * Prints one line per phase, {@code key=value} pairs, for run-ratelimit.sh to read.
 */
public final class QuotaMemory {
  private static final Quotas.Limit LIMIT =
      new Quotas.Limit(10, Duration.ofHours(1), Quotas.Mode.STRICT);

  private QuotaMemory() {}

  public static void main(String[] args) throws Exception {
    int keys = 1_000_000;
    int cap = 100_000;
    int threads = 4;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--keys" -> keys = Integer.parseInt(args[i + 1]);
        case "--cap" -> cap = Integer.parseInt(args[i + 1]);
        case "--threads" -> threads = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    phase("uncapped", keys, keys * 2, threads);
    phase("capped", keys, cap, threads);
    System.exit(0);
  }

  private static void phase(String name, int keys, int cap, int threads) throws Exception {
    int port = 15701 + (name.equals("capped") ? 100 : 0);
    long before = heapAfterGc();
    try (HazelcastQuotas q =
        HazelcastQuotas.start(
            new HazelcastQuotas.Settings(
                "tollgate-memory-" + name,
                "127.0.0.1",
                port,
                List.of(),
                null,
                cap,
                Duration.ofSeconds(5)))) {
      long afterStart = heapAfterGc();
      AtomicLong next = new AtomicLong();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      long t0 = System.nanoTime();
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        fs.add(
            pool.submit(
                () -> {
                  for (long k; (k = next.getAndIncrement()) < keys; ) {
                    q.tryConsume("bench\u001ftenant=t" + k, LIMIT, 1);
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      pool.shutdown();
      long afterKeys = heapAfterGc();
      long buckets = q.localBuckets();
      System.out.printf(
          "phase=%s keys=%d cap=%d buckets=%d seconds=%.1f keys_per_second=%.0f "
              + "heap_before_mib=%.1f heap_member_mib=%.1f heap_after_mib=%.1f bytes_per_bucket=%.0f mib_per_million=%.1f%n",
          name,
          keys,
          cap,
          buckets,
          seconds,
          keys / seconds,
          before / 1048576.0,
          afterStart / 1048576.0,
          afterKeys / 1048576.0,
          (afterKeys - afterStart) / (double) Math.max(1, buckets),
          (afterKeys - afterStart) / (double) Math.max(1, buckets) * 1_000_000 / 1048576.0);
      System.out.flush();
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
