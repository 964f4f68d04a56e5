package io.tollgate.rules;

import java.util.function.Supplier;

/**
 * {@code WarmUp} marks the thread that decides a warm-up request: traffic a server sends itself so
 * that the first real requests do not pay for class loading and interpretation. While it is marked,
 * nothing is counted ({@link EvaluationCounters}) and whatever keeps state for callers (quotas,
 * metrics, logs) is expected to leave the request out; the mark follows a check onto the pool that
 * runs blocking handlers.
 */
public final class WarmUp {
  private static final ThreadLocal<Boolean> ACTIVE = new ThreadLocal<>();

  private WarmUp() {}

  /** Whether the current thread is deciding a warm-up request. */
  public static boolean active() {
    return ACTIVE.get() != null;
  }

  /** Runs {@code work} marked as warm-up. */
  public static <T> T call(Supplier<T> work) {
    if (active()) {
      return work.get();
    }
    ACTIVE.set(Boolean.TRUE);
    try {
      return work.get();
    } finally {
      ACTIVE.remove();
    }
  }

  /** {@code task}, marked as warm-up when it runs if the current thread is marked now. */
  public static Runnable carry(Runnable task) {
    if (!active()) {
      return task;
    }
    return () ->
        call(
            () -> {
              task.run();
              return null;
            });
  }

  /** {@code task}, marked as warm-up when it runs if the current thread is marked now. */
  public static <T> java.util.concurrent.Callable<T> carryCall(
      java.util.concurrent.Callable<T> task) {
    if (!active()) {
      return task;
    }
    return () -> {
      if (active()) {
        return task.call();
      }
      ACTIVE.set(Boolean.TRUE);
      try {
        return task.call();
      } finally {
        ACTIVE.remove();
      }
    };
  }
}
