package io.tollgate.quota;

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
  public enum Outcome { ADMITTED, REJECTED, SHADOW_REJECTED, FAILED }

  /** A heavy key: its estimated hits, with the sketch's guaranteed bounds. */
  public record TopKey(String key, long estimate, long lowerBound, long upperBound) {}

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
   * @param topKeys the heaviest keys by hits, heaviest first
   */
  public record LimitUsage(
      String domain, String limit, long requests, long hits, long admitted, long rejected, long shadowRejected,
      long failed, List<TopKey> topKeys) {}

  private final class Counter {
    final String domain;
    final String limit;
    final LongAdder requests = new LongAdder();
    final LongAdder hits = new LongAdder();
    final LongAdder[] outcomes = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
    final ItemsSketch<String> keys = new ItemsSketch<>(SKETCH_MAP_SIZE);

    Counter(String domain, String limit) {
      this.domain = domain;
      this.limit = limit;
    }
  }

  private final Map<String, Counter> limits = new ConcurrentHashMap<>();

  /** Records one decision of {@code hits} hits for {@code key} under the limit {@code limit} of {@code domain}. */
  public void record(String domain, String limit, String key, long hits, Outcome outcome) {
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
    c.requests.increment();
    c.hits.add(hits);
    c.outcomes[outcome.ordinal()].increment();
    synchronized (c.keys) {
      c.keys.update(key, Math.max(1, hits));
    }
  }

  /** Every limit's usage, with at most {@code top} keys each, busiest limits first. */
  public List<LimitUsage> snapshot(int top) {
    List<LimitUsage> out = new ArrayList<>();
    for (Counter c : limits.values()) {
      List<TopKey> keys = new ArrayList<>();
      synchronized (c.keys) {
        for (ItemsSketch.Row<String> r : c.keys.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES)) {
          if (keys.size() == top) {
            break;
          }
          keys.add(new TopKey(r.getItem(), r.getEstimate(), r.getLowerBound(), r.getUpperBound()));
        }
      }
      out.add(new LimitUsage(c.domain, c.limit, c.requests.sum(), c.hits.sum(),
          c.outcomes[Outcome.ADMITTED.ordinal()].sum(), c.outcomes[Outcome.REJECTED.ordinal()].sum(),
          c.outcomes[Outcome.SHADOW_REJECTED.ordinal()].sum(), c.outcomes[Outcome.FAILED.ordinal()].sum(), keys));
    }
    out.sort(Comparator.comparingLong(LimitUsage::hits).reversed());
    return out;
  }
}
