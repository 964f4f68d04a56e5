package io.tollgate.quota;

import io.tollgate.adapter.spi.Quotas;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@code LocalQuotas} keeps quotas in this process alone, with the cluster's rules: fixed windows
 * aligned to the epoch, a request for more hits than a window holds only reports, and every quota
 * starts full. It is what one-shot commands ({@code tollgate validate}, {@code tollgate test})
 * spend from: a fresh cluster of one that needs no ports. Both modes are kept exactly. Thread-safe.
 */
public final class LocalQuotas implements Quotas {
  /** Windows kept before the ones that ended are dropped. */
  private static final int MAX_WINDOWS = 100_000;

  private final Clock clock;
  private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();

  /** The hits spent in one window of one quota. */
  private record Window(long end, long spent) {}

  public LocalQuotas(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Decision tryConsume(String key, Limit limit, long hits) {
    if (hits < 0) {
      throw new IllegalArgumentException("hits must not be negative, not " + hits);
    }
    Instant now = clock.instant();
    Instant end = FixedWindows.end(now, limit.window());
    Duration untilReset = Duration.between(now, end);
    if (windows.size() > MAX_WINDOWS) {
      windows.values().removeIf(w -> w.end() <= now.toEpochMilli());
    }
    // One quota per key and limit, as the cluster replaces a bucket whose limit changed.
    String id = key + '\u0000' + limit.requests() + '/' + limit.window().toMillis();
    boolean[] allowed = new boolean[1];
    Window w =
        windows.compute(
            id,
            (k, old) -> {
              long spent = old == null || old.end() != end.toEpochMilli() ? 0 : old.spent();
              allowed[0] = hits == 0 || (hits <= limit.requests() - spent);
              return new Window(
                  end.toEpochMilli(),
                  allowed[0] && hits <= limit.requests() ? spent + hits : spent);
            });
    return new Decision(allowed[0], limit.requests(), limit.requests() - w.spent(), untilReset);
  }
}
