package io.tollgate.rules.dispatch;

import io.tollgate.rules.EvaluationCounters;
import io.tollgate.rules.dispatch.Combiner.Outcome;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GuardedCall} is one handler call handed to a {@link HandlerPools} pool, which the check
 * can give up on. Giving up at the deadline ({@link #abandon}) interrupts the call; one that goes
 * on regardless (a DRL busy loop ignores interruption) is counted as stuck while it runs ({@link
 * EvaluationCounters#stuck()}), and when it does end, the time it ran past its deadline is counted
 * ({@link EvaluationCounters#overruns()}). Giving up because the answer is already known ({@link
 * #cancel}) is not a fault and is not counted.
 */
final class GuardedCall implements Callable<Outcome> {
  private static final int QUEUED = 0;
  private static final int RUNNING = 1;
  private static final int ENDED = 2;
  private static final int ABANDONED = 3;

  private final Callable<Outcome> body;
  private final String handler;
  private final EvaluationCounters counters;
  private final long deadline;
  private final AtomicInteger state = new AtomicInteger(QUEUED);
  private final FutureTask<Outcome> task = new FutureTask<>(this);

  /**
   * @param deadline the call's deadline, {@code System.nanoTime()}
   */
  GuardedCall(Callable<Outcome> body, String handler, EvaluationCounters counters, long deadline) {
    this.body = body;
    this.handler = handler;
    this.counters = counters;
    this.deadline = deadline;
  }

  /** What the pool runs; cancelling it interrupts the thread running it. */
  FutureTask<Outcome> task() {
    return task;
  }

  @Override
  public Outcome call() throws Exception {
    if (!state.compareAndSet(QUEUED, RUNNING)) {
      return null; // given up on before it started
    }
    try {
      return body.call();
    } finally {
      if (!state.compareAndSet(RUNNING, ENDED)) {
        counters.overran(handler, System.nanoTime() - deadline);
        counters.unstuck();
      }
    }
  }

  /** Gives up on a call that missed its deadline; if it is running, it is stuck until it ends. */
  void abandon() {
    if (state.get() == RUNNING) {
      counters.stuckOne();
      if (!state.compareAndSet(RUNNING, ABANDONED)) {
        counters.unstuck(); // it ended meanwhile
      }
    } else {
      state.compareAndSet(QUEUED, ABANDONED);
    }
    task.cancel(true);
  }

  /** Gives up on a call whose answer can no longer change the decision. */
  void cancel() {
    task.cancel(true);
  }
}
