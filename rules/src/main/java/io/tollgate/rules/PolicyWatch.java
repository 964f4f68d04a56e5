package io.tollgate.rules;

import io.tollgate.common.lifecycle.FatalErrors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PolicyWatch} polls a runtime's inputs and reloads when they change: what it last saw
 * change, and since when that has held still. A change is compiled once the inputs have held still
 * for the settle interval, looked at more often meanwhile, so a file caught half-written is not; it
 * says once which files keep a change from settling. Runs on one scheduler thread.
 */
final class PolicyWatch implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyWatch.class);

  final long intervalMs;
  private final long settleNanos;

  /** How often to look while a change settles. */
  private final long stepMs;

  private Map<Path, String> seen;
  private long since;

  /**
   * When the inputs began to change without holding still since, or 0; and whether that was said.
   */
  private long unsettledSince;

  private boolean warned;

  private final Path dir;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "tollgate-policy-watch");
            t.setDaemon(true);
            return t;
          });
  private final Supplier<Map<Path, String>> lastAttempt;
  private final UnaryOperator<Map<Path, String>> fingerprint;
  private final BooleanSupplier reload;
  private final AtomicLong polls = new AtomicLong();

  /**
   * @param dir the policy directory, for the log
   * @param lastAttempt the fingerprint of the inputs the last compile read
   * @param fingerprint the inputs' fingerprint now, given the last attempt's
   * @param reload compiles and swaps; {@code false} when the inputs changed during the compile
   */
  PolicyWatch(
      long intervalMs,
      Duration settle,
      Path dir,
      Supplier<Map<Path, String>> lastAttempt,
      UnaryOperator<Map<Path, String>> fingerprint,
      BooleanSupplier reload) {
    this.dir = dir;
    this.lastAttempt = lastAttempt;
    this.fingerprint = fingerprint;
    this.reload = reload;
    this.intervalMs = intervalMs;
    this.settleNanos = settle.toNanos();
    this.stepMs = Math.max(10, Math.min(intervalMs, settle.toMillis() / 5));
  }

  @Override
  public void run() {
    long delay = intervalMs;
    try {
      delay = poll();
    } catch (RuntimeException e) {
      log.error("policy watch failed; will retry", e);
    } catch (Error e) {
      // Not rescheduled: reloads have stopped, and the server must say so rather than serve this
      // version forever.
      FatalErrors.report("the policy watch stopped: " + e, e);
      throw e;
    } finally {
      polls.incrementAndGet();
    }
    try {
      scheduler.schedule(this, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // stopped
    }
  }

  /** Looks once; the delay until the next look. */
  private long poll() {
    Map<Path, String> attempted = lastAttempt.get();
    Map<Path, String> now = fingerprint.apply(attempted);
    if (now.equals(attempted)) {
      seen = null;
      return intervalMs;
    }
    long t = System.nanoTime();
    if (!now.equals(seen)) {
      if (seen != null) {
        warnIfRestless(seen, now, t);
      }
      seen = now;
      since = t;
      if (settleNanos > 0) {
        return stepMs;
      }
    } else if (t - since < settleNanos) {
      return stepMs;
    }
    seen = null;
    unsettledSince = 0;
    warned = false;
    log.info("policy inputs changed; reloading {}", dir);
    if (!reload.getAsBoolean()) {
      log.info("policy inputs changed while they were compiled; waiting for them to hold still");
      return stepMs;
    }
    return intervalMs;
  }

  /**
   * Says once which files keep a change from settling, such as a log written into the directory.
   */
  private void warnIfRestless(Map<Path, String> before, Map<Path, String> now, long t) {
    if (unsettledSince == 0) {
      unsettledSince = t;
    }
    if (warned
        || t - unsettledSince < Math.max(Duration.ofSeconds(5).toNanos(), 10 * settleNanos)) {
      return;
    }
    warned = true;
    List<Path> changing = new java.util.ArrayList<>();
    now.forEach(
        (p, stamp) -> {
          if (!stamp.equals(before.get(p))) {
            changing.add(p);
          }
        });
    before.keySet().stream().filter(p -> !now.containsKey(p)).forEach(changing::add);
    log.warn(
        "policy inputs have not held still for {} ms since {} s ago, so no new version is compiled;"
            + " changing: {} (keep files that change all the time out of the policy directory)",
        settleNanos / 1_000_000,
        (t - unsettledSince) / 1_000_000_000,
        changing.stream().sorted().limit(5).toList());
  }

  /** Starts looking, the first time after one interval. */
  PolicyWatch start() {
    scheduler.schedule(this, intervalMs, TimeUnit.MILLISECONDS);
    return this;
  }

  /** How many times it has looked at the inputs; tests pace a writer by it. */
  long polls() {
    return polls.get();
  }

  /** Stops looking; a reload under way is interrupted. */
  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
