package io.tollgate.rules.rego;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * {@code CircuitBreaker} stops calling a server that keeps failing: after {@code threshold}
 * failures in a row it opens, and calls fail at once for {@code openFor}; then one trial call is
 * let through (half-open), whose outcome closes or re-opens it. Thread-safe and lock-free.
 */
public final class CircuitBreaker {
  /** Breaker states; the ordinal is what the state metric shows. */
  public enum State {
    CLOSED,
    OPEN,
    HALF_OPEN
  }

  private final int threshold;
  private final long openForNanos;
  private final LongSupplier clock;
  private final AtomicReference<State> state = new AtomicReference<>(State.CLOSED);
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicLong openedAt = new AtomicLong();

  public CircuitBreaker(int threshold, Duration openFor) {
    this(threshold, openFor, System::nanoTime);
  }

  CircuitBreaker(int threshold, Duration openFor, LongSupplier clock) {
    this.threshold = threshold;
    this.openForNanos = openFor.toNanos();
    this.clock = clock;
  }

  /** Whether a call may go out now. */
  public boolean allow() {
    State s = state.get();
    if (s == State.CLOSED) {
      return true;
    }
    if (s == State.OPEN && clock.getAsLong() - openedAt.get() >= openForNanos) {
      return state.compareAndSet(State.OPEN, State.HALF_OPEN); // one trial call
    }
    return false;
  }

  public void success() {
    failures.set(0);
    state.set(State.CLOSED);
  }

  public void failure() {
    if (state.get() == State.HALF_OPEN || failures.incrementAndGet() >= threshold) {
      openedAt.set(clock.getAsLong());
      state.set(State.OPEN);
    }
  }

  public State state() {
    return state.get();
  }
}
