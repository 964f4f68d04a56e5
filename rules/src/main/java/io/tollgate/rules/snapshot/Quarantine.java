package io.tollgate.rules.snapshot;

import java.time.Duration;

/**
 * {@code Quarantine} keeps a handler that keeps missing its deadline from being called: after
 * {@link #MISSES} deadlines missed in a row, checks give the handler its failure policy without
 * calling it for a backoff period, which starts at {@link #FIRST_BACKOFF} and doubles each time the
 * handler misses again right after it (at most {@link #MAX_BACKOFF}). One answer within the
 * deadline ends the series. A handler that ignores interruption cannot be stopped, so this is what
 * bounds what it costs: the threads it holds, and the requests that would wait for it.
 *
 * <p>Thread-safe. One per handler, kept while a reloaded version reuses the handler.
 */
public final class Quarantine {
  /** Deadlines missed in a row that quarantine a handler. */
  public static final int MISSES = 3;

  public static final Duration FIRST_BACKOFF = Duration.ofSeconds(5);
  public static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

  private final long firstNanos;
  private final long maxNanos;
  private int missesInARow;
  private long backoffNanos;
  private long times;

  /** {@code System.nanoTime()} until which the handler is not called; 0 when it is not held. */
  private volatile long until;

  public Quarantine() {
    this(FIRST_BACKOFF, MAX_BACKOFF);
  }

  public Quarantine(Duration first, Duration max) {
    this.firstNanos = first.toNanos();
    this.maxNanos = max.toNanos();
    this.backoffNanos = firstNanos;
  }

  /** Whether the handler is held at {@code now} ({@code System.nanoTime()}). */
  public boolean holds(long now) {
    long u = until;
    return u != 0 && now - u < 0;
  }

  /** Records a missed deadline at {@code now}; returns whether it put the handler in quarantine. */
  public synchronized boolean missed(long now) {
    if (holds(now)) {
      return false;
    }
    missesInARow++;
    if (missesInARow < MISSES) {
      return false;
    }
    until = now + backoffNanos;
    backoffNanos = Math.min(maxNanos, backoffNanos * 2);
    missesInARow = MISSES - 1; // after the backoff, one more miss holds it again
    times++;
    return true;
  }

  /** Records an answer within the deadline: the series of misses ends. */
  public void answered() {
    if (missesInARow == 0 && until == 0) {
      return; // the common case, without the lock
    }
    synchronized (this) {
      missesInARow = 0;
      backoffNanos = firstNanos;
      until = 0;
    }
  }

  /**
   * Forgets the misses so far and ends any hold: for misses that say nothing of the handler, such
   * as those of a JVM that had not compiled it yet.
   */
  public synchronized void release() {
    missesInARow = 0;
    backoffNanos = firstNanos;
    until = 0;
  }

  /** How long the handler stays held after {@code now}, or zero when it is not. */
  public Duration remaining(long now) {
    long u = until;
    return u != 0 && now - u < 0 ? Duration.ofNanos(u - now) : Duration.ZERO;
  }

  /** How many times it has been put in quarantine. */
  public synchronized long times() {
    return times;
  }
}
