package io.tollgate.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tollgate.adapter.spi.Quotas.Decision;
import io.tollgate.adapter.spi.Quotas.Limit;
import io.tollgate.adapter.spi.Quotas.Mode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two members in one JVM form a cluster on loopback and keep one limit together. */
class HazelcastQuotasTest {
  static final Limit PER_HOUR = new Limit(100, Duration.ofHours(1), Mode.STRICT);
  static HazelcastQuotas a;
  static HazelcastQuotas b;

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @BeforeAll
  static void start() throws IOException {
    int pa = freePort();
    int pb = freePort();
    List<String> members = List.of("127.0.0.1:" + pa, "127.0.0.1:" + pb);
    a = HazelcastQuotas.start(HazelcastQuotas.Settings.loopback(pa, members));
    b = HazelcastQuotas.start(HazelcastQuotas.Settings.loopback(pb, members));
    assertThat(a.clusterSize()).isEqualTo(2);
  }

  @AfterAll
  static void stop() {
    b.close();
    a.close();
  }

  @Test
  void spendsUntilTheLimitAndSaysWhatIsLeft() {
    Decision first = a.tryConsume("t1", PER_HOUR, 1);
    assertThat(first.allowed()).isTrue();
    assertThat(first.remaining()).isEqualTo(99);
    assertThat(first.limit()).isEqualTo(100);
    assertThat(first.untilReset()).isPositive().isLessThanOrEqualTo(Duration.ofHours(1));
    assertThat(b.tryConsume("t1", PER_HOUR, 98).remaining())
        .as("the other member sees the same bucket")
        .isEqualTo(1);
    assertThat(a.tryConsume("t1", PER_HOUR, 2).allowed())
        .as("nothing is spent when not all hits fit")
        .isFalse();
    assertThat(a.tryConsume("t1", PER_HOUR, 1).allowed()).isTrue();
    Decision over = b.tryConsume("t1", PER_HOUR, 1);
    assertThat(over.allowed()).isFalse();
    assertThat(over.remaining()).isZero();
  }

  @Test
  void hitsBeyondTheLimitAndNegativeHits() {
    assertThat(a.tryConsume("t2", PER_HOUR, 1_000_000).allowed()).isFalse();
    assertThat(a.tryConsume("t2", PER_HOUR, 0).remaining())
        .as("a huge request spent nothing")
        .isEqualTo(100);
    assertThatThrownBy(() -> a.tryConsume("t2", PER_HOUR, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Limit(0, Duration.ofSeconds(1), Mode.STRICT))
        .hasMessageContaining("positive");
  }

  @Test
  void strictNeverAdmitsMoreThanTheLimitUnderConcurrency() throws Exception {
    assertThat(admittedConcurrently("t3", PER_HOUR)).isEqualTo(100);
  }

  @Test
  void fastStaysWithinItsDocumentedBound() throws Exception {
    Limit fast = new Limit(100, Duration.ofHours(1), Mode.FAST);
    int admitted = admittedConcurrently("t4", fast);
    assertThat(admitted)
        .isBetween(
            100 - 2 * (int) HazelcastQuotas.FAST_UNSYNCHRONIZED_HITS,
            100 + 2 * (int) HazelcastQuotas.FAST_UNSYNCHRONIZED_HITS);
  }

  /** 4 threads on each member spend 1 hit at a time, 200 attempts each. */
  static int admittedConcurrently(String key, Limit limit) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    AtomicInteger admitted = new AtomicInteger();
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      HazelcastQuotas member = t % 2 == 0 ? a : b;
      fs.add(
          pool.submit(
              () -> {
                for (int i = 0; i < 200; i++) {
                  if (member.tryConsume(key, limit, 1).allowed()) {
                    admitted.incrementAndGet();
                  }
                }
              }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    return admitted.get();
  }

  @Test
  void aChangedLimitAppliesToTheExistingBucket() {
    a.tryConsume("t5", PER_HOUR, 90);
    Limit smaller = new Limit(50, Duration.ofHours(1), Mode.STRICT);
    Decision d = a.tryConsume("t5", smaller, 1);
    assertThat(d.limit()).isEqualTo(50);
    assertThat(d.remaining()).as("10 tokens were left; they are kept").isEqualTo(9);
  }

  @Test
  void discoveryIsTcpIpByDefaultAndKubernetesWhenAServiceIsNamed() {
    var tcp =
        HazelcastQuotas.memberConfig(
                HazelcastQuotas.Settings.loopback(5701, List.of("10.0.0.2:5701")))
            .getNetworkConfig()
            .getJoin();
    assertThat(tcp.getMulticastConfig().isEnabled()).isFalse();
    assertThat(tcp.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(tcp.getTcpIpConfig().getMembers()).containsExactly("10.0.0.2:5701");
    assertThat(tcp.getKubernetesConfig().isEnabled()).isFalse();

    var k8s =
        HazelcastQuotas.memberConfig(
                new HazelcastQuotas.Settings(
                    "tollgate",
                    "10.1.2.3",
                    5701,
                    List.of(),
                    "tollgate-quota.mesh.svc.cluster.local",
                    1000,
                    Duration.ofMillis(500)))
            .getNetworkConfig()
            .getJoin();
    assertThat(k8s.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(k8s.getMulticastConfig().isEnabled()).isFalse();
    assertThat(k8s.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(k8s.getKubernetesConfig().getProperty("service-dns"))
        .isEqualTo("tollgate-quota.mesh.svc.cluster.local");
  }

  /** Holds its partition's thread until released, as a slow or migrating owner would. */
  static final class Stall implements com.hazelcast.map.EntryProcessor<String, byte[], Object> {
    private static final long serialVersionUID = 1L;
    static CountDownLatch started = new CountDownLatch(1);
    static CountDownLatch release = new CountDownLatch(1);

    @Override
    public Object process(java.util.Map.Entry<String, byte[]> entry) {
      started.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return null;
    }
  }

  /**
   * A key whose partition another of Hazelcast's partition threads serves (partition id modulo
   * threads).
   */
  static String keyOnAnotherPartitionThread(HazelcastQuotas q, String key) {
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors()); // Hazelcast's default
    var partitions = q.hazelcast().getPartitionService();
    int stalled = partitions.getPartition(key).getPartitionId() % threads;
    for (int i = 0; ; i++) {
      String other = "another-key-" + i;
      if (partitions.getPartition(other).getPartitionId() % threads != stalled) {
        return other;
      }
    }
  }

  @Test
  void aCallerStopsWaitingAtTheDeadline() throws Exception {
    Stall.started = new CountDownLatch(1);
    Stall.release = new CountDownLatch(1);
    int port = freePort();
    try (HazelcastQuotas q =
        HazelcastQuotas.start(
            new HazelcastQuotas.Settings(
                "tollgate-deadline",
                "127.0.0.1",
                port,
                List.of("127.0.0.1:" + port),
                null,
                1000,
                Duration.ofMillis(200)))) {
      com.hazelcast.map.IMap<String, byte[]> map = q.hazelcast().getMap(HazelcastQuotas.MAP);
      map.submitToKey("slow-key", new Stall());
      try {
        assertThat(Stall.started.await(10, TimeUnit.SECONDS))
            .as("the stall holds the partition")
            .isTrue();
        long start = System.nanoTime();
        assertThatThrownBy(() -> q.tryConsume("slow-key", PER_HOUR, 1))
            .hasMessageContaining("did not answer within 200 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        // Partitions served by another partition thread answer meanwhile.
        assertThat(q.tryConsume(keyOnAnotherPartitionThread(q, "slow-key"), PER_HOUR, 1).allowed())
            .isTrue();
      } finally {
        Stall.release.countDown();
      }
    }
  }

  @Test
  void idleBucketsExpireSoonAfterTheirWindow() throws Exception {
    int port = freePort();
    try (HazelcastQuotas q =
        HazelcastQuotas.start(
            new HazelcastQuotas.Settings(
                "tollgate-expiry",
                "127.0.0.1",
                port,
                List.of("127.0.0.1:" + port),
                null,
                100_000,
                Duration.ofSeconds(2)))) {
      Limit perSecond = new Limit(5, Duration.ofSeconds(1), Mode.STRICT);
      for (int i = 0; i < 5_000; i++) {
        q.tryConsume("idle-" + i, perSecond, 1);
      }
      assertThat(q.localBuckets()).isEqualTo(5_000);
      // Each expires EXPIRY_GRACE after its one-second window; Hazelcast removes expired entries in
      // the background, a sample at a time.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () ->
                  assertThat(q.localBuckets()).as("buckets left 60 s after their window").isZero());
    }
  }

  @Test
  void manyDistinctKeysStayWithinTheBucketCap() throws IOException {
    int port = freePort();
    try (HazelcastQuotas small =
        HazelcastQuotas.start(
            new HazelcastQuotas.Settings(
                "tollgate-cap",
                "127.0.0.1",
                port,
                List.of("127.0.0.1:" + port),
                null,
                2_000,
                Duration.ofSeconds(2)))) {
      long started = System.nanoTime();
      for (int i = 0; i < 20_000; i++) {
        assertThat(small.tryConsume("k" + i, PER_HOUR, 1).allowed()).isTrue();
      }
      long seconds = Math.max(1, (System.nanoTime() - started) / 1_000_000_000L);
      // Hazelcast splits the cap over its partitions and evicts the least recently used.
      assertThat(small.localBuckets())
          .as("buckets after 20,000 keys in %d s", seconds)
          .isLessThanOrEqualTo(2_000);
    }
  }

  @Test
  void windowsAreAlignedToTheClock() {
    assertThat(
            HazelcastQuotas.windowEnd(
                Instant.parse("2026-01-01T10:00:59.500Z"), Duration.ofMinutes(1)))
        .isEqualTo(Instant.parse("2026-01-01T10:01:00Z"));
    assertThat(
            HazelcastQuotas.windowEnd(Instant.parse("2026-01-01T10:00:00Z"), Duration.ofSeconds(1)))
        .isEqualTo(Instant.parse("2026-01-01T10:00:01Z"));
  }
}
