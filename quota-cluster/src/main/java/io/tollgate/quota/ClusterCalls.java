package io.tollgate.quota;

import io.tollgate.common.lifecycle.DaemonThreads;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ClusterCalls} makes blocking cluster calls on threads of its own, so that a caller stops
 * waiting at the deadline: Hazelcast's blocking calls wait out a partition's migration or a
 * partitioned owner for up to its invocation timeout; callers get an answer, or a failure, within
 * the deadline instead (the cluster call itself is left to finish or fail on its own). Thread-safe.
 */
final class ClusterCalls implements AutoCloseable {
  /** Calls that may wait for a thread before new ones are refused. */
  static final int QUEUE = 10_000;

  private final Duration timeout;
  private final ThreadPoolExecutor callers;

  ClusterCalls(Duration timeout) {
    this.timeout = timeout;
    int threads = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
    this.callers =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            DaemonThreads.numbered("tollgate-quota"));
  }

  /**
   * The result of {@code call}, made on one of the callers' threads; throws {@link
   * IllegalStateException} when it does not answer within the timeout, when too many calls wait, or
   * when the caller is interrupted, and what {@code call} throws when it fails.
   */
  <T> T call(Callable<T> call) {
    Future<T> f;
    try {
      f = callers.submit(call);
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException(
          "the quota cluster is overloaded: " + QUEUE + " decisions already wait", e);
    }
    try {
      return f.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IllegalStateException(
          "the quota cluster did not answer within " + timeout.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the quota cluster", e);
    }
  }

  @Override
  public void close() {
    callers.shutdownNow();
  }
}
