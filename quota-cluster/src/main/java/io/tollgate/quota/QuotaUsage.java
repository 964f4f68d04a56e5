package io.tollgate.quota;

import io.tollgate.adapter.spi.Quotas;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * {@code QuotaUsage} keeps, for each limit, how many hits were asked for and how each decision
 * went, and the heaviest keys (Apache DataSketches' frequent-items sketch, so memory stays bounded
 * whatever the keys): the data behind dashboards. What one server saw; thread-safe.
 */
public final class QuotaUsage {
  /** The most limits tracked; more are counted under {@link #OTHER}. */
  public static final int MAX_LIMITS = 1000;

  /** Where limits beyond {@link #MAX_LIMITS} are counted. */
  public static final String OTHER = "(other limits)";

  /** The sketch's map size: up to 0.75 of it are tracked keys; the error is about hits/size*3.5. */
  private static final int SKETCH_MAP_SIZE = 128;

  /** How one decision went. */
  public enum Outcome {
    ADMITTED,
    REJECTED,
    SHADOW_REJECTED,
    FAILED
  }

  /** The window history kept: per-second samples of the last five minutes. */
  public static final int HISTORY_SECONDS = 300;

  /**
   * A heavy key: its estimated hits, with the sketch's guaranteed bounds, and the hits left in its
   * bucket now ({@code null} when unknown).
   */
  public record TopKey(
      String key, long estimate, long lowerBound, long upperBound, Long remaining) {}

  /** One second of a limit's history: decisions admitted and rejected during it. */
  public record Sample(long epochSecond, long admitted, long rejected) {}

  /** Looks up the hits left in a bucket; {@code null} when it cannot say. */
  @FunctionalInterface
  public interface Remaining {
    Long of(String bucketKey, Quotas.Limit limit);

    Remaining UNKNOWN = (k, l) -> null;
  }

  /**
   * One limit's usage since the server started.
   *
   * @param domain the rate-limit domain
   * @param limit the limit's id (its name or descriptor path)
   * @param requests decisions asked for
   * @param hits hits asked for ({@code hits_addend} summed)
   * @param admitted decisions admitted
   * @param rejected decisions refused
   * @param shadowRejected decisions over the limit in shadow mode (answered OK)
   * @param failed decisions the cluster could not make
   * @param requestsPerWindow the limit's size, as last seen ({@code 0} if never decided)
   * @param windowSeconds its window, as last seen
   * @param topKeys the heaviest keys by hits, heaviest first
   * @param history per-second admitted and rejected over the last minutes, oldest first
   */
  public record LimitUsage(
      String domain,
      String limit,
      long requests,
      long hits,
      long admitted,
      long rejected,
      long shadowRejected,
      long failed,
      long requestsPerWindow,
      long windowSeconds,
      List<TopKey> topKeys,
      List<Sample> history) {}

  private final class Counter {
    final String domain;
    final String limit;
    final LongAdder requests = new LongAdder();
    final LongAdder hits = new LongAdder();
    final LongAdder[] outcomes = {
      new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()
    };
    final ItemsSketch<String> keys = new ItemsSketch<>(SKETCH_MAP_SIZE);
    volatile Quotas.Limit lastLimit;
    // History: cumulative admitted and rejected at the end of each of the last seconds.
    final long[] seconds = new long[HISTORY_SECONDS + 1];
    final long[] admittedAt = new long[HISTORY_SECONDS + 1];
    final long[] rejectedAt = new long[HISTORY_SECONDS + 1];
    int samples;
    int next;

    Counter(String domain, String limit) {
      this.domain = domain;
      this.limit = limit;
      // The history starts from nothing, so the first decisions show in the first second.
      seconds[0] = System.currentTimeMillis() / 1000;
      samples = 1;
      next = 1;
    }

    synchronized void sample(long epochSecond) {
      seconds[next] = epochSecond;
      admittedAt[next] = outcomes[Outcome.ADMITTED.ordinal()].sum();
      rejectedAt[next] = outcomes[Outcome.REJECTED.ordinal()].sum();
      next = (next + 1) % seconds.length;
      samples = Math.min(samples + 1, seconds.length);
    }

    synchronized List<Sample> history() {
      List<Sample> out = new ArrayList<>(samples);
      int first = (next - samples + seconds.length) % seconds.length;
      for (int i = 1; i < samples; i++) {
        int cur = (first + i) % seconds.length;
        int prev = (first + i - 1) % seconds.length;
        out.add(
            new Sample(
                seconds[cur],
                admittedAt[cur] - admittedAt[prev],
                rejectedAt[cur] - rejectedAt[prev]));
      }
      return out;
    }
  }

  private final Map<String, Counter> limits = new ConcurrentHashMap<>();

  /**
   * Records one decision of {@code hits} hits for the bucket {@code key} under the limit {@code
   * limit} of {@code domain}, whose size is {@code quota} (may be {@code null}).
   */
  public void record(
      String domain, String limit, String key, Quotas.Limit quota, long hits, Outcome outcome) {
    String id = domain + '\u0000' + limit;
    Counter c = limits.get(id);
    if (c == null) {
      if (limits.size() >= MAX_LIMITS) {
        id = domain + '\u0000' + OTHER;
        limit = OTHER;
      }
      String d = domain;
      String l = limit;
      c = limits.computeIfAbsent(id, k -> new Counter(d, l));
    }
    if (quota != null) {
      c.lastLimit = quota;
    }
    c.requests.increment();
    c.hits.add(hits);
    c.outcomes[outcome.ordinal()].increment();
    synchronized (c.keys) {
      c.keys.update(key, Math.max(1, hits));
    }
  }

  /** Takes the per-second sample of every limit; call once a second. */
  public void sample(long epochSecond) {
    for (Counter c : limits.values()) {
      c.sample(epochSecond);
    }
  }

  /** Every limit's usage, with at most {@code top} keys each, busiest limits first. */
  public List<LimitUsage> snapshot(int top) {
    return snapshot(top, Remaining.UNKNOWN, k -> k);
  }

  /**
   * Every limit's usage, busiest first, with at most {@code top} keys each, their remaining hits
   * from {@code remaining}, and their bucket keys shown as {@code display} makes them.
   */
  public List<LimitUsage> snapshot(
      int top, Remaining remaining, java.util.function.UnaryOperator<String> display) {
    List<LimitUsage> out = new ArrayList<>();
    for (Counter c : limits.values()) {
      List<ItemsSketch.Row<String>> rows = new ArrayList<>();
      synchronized (c.keys) {
        for (ItemsSketch.Row<String> r : c.keys.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES)) {
          if (rows.size() == top) {
            break;
          }
          rows.add(r);
        }
      }
      Quotas.Limit limit = c.lastLimit;
      List<TopKey> keys = new ArrayList<>(rows.size());
      for (ItemsSketch.Row<String> r : rows) {
        Long left = limit == null ? null : remaining.of(r.getItem(), limit);
        keys.add(
            new TopKey(
                display.apply(r.getItem()),
                r.getEstimate(),
                r.getLowerBound(),
                r.getUpperBound(),
                left));
      }
      out.add(
          new LimitUsage(
              c.domain,
              c.limit,
              c.requests.sum(),
              c.hits.sum(),
              c.outcomes[Outcome.ADMITTED.ordinal()].sum(),
              c.outcomes[Outcome.REJECTED.ordinal()].sum(),
              c.outcomes[Outcome.SHADOW_REJECTED.ordinal()].sum(),
              c.outcomes[Outcome.FAILED.ordinal()].sum(),
              limit == null ? 0 : limit.requests(),
              limit == null ? 0 : limit.window().toSeconds(),
              keys,
              c.history()));
    }
    out.sort(Comparator.comparingLong(LimitUsage::hits).reversed());
    return out;
  }
}
