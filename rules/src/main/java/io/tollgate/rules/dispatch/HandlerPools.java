package io.tollgate.rules.dispatch;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@code HandlerPools} are the two bounded pools a runtime's checks hand work to, so that nothing a
 * handler does can hold a request thread past its deadline:
 *
 * <ul>
 *   <li>{@link #blocking()}: handlers that wait on I/O (Rego on OPA), 4 threads per core;
 *   <li>{@link #ruleSets()}: rule sets written by policy authors (DRL). Java code cannot be stopped
 *       from outside, so a DRL rule that never ends (a loop in a consequence, recursion, a
 *       catastrophic {@code java.util.regex} match) is abandoned at its deadline and keeps its
 *       thread; a pool of its own means such a rule costs at most these threads, never the request
 *       threads nor the Rego calls.
 * </ul>
 *
 * <p>Both are bounded in threads and queued calls; a call either refuses gets its handler's failure
 * policy. Threads are daemons named {@code tollgate-handler} and {@code tollgate-drl}.
 */
public final class HandlerPools implements AutoCloseable {
  /** Calls queued per pool before new ones are refused. */
  public static final int QUEUE = 1024;

  private final ThreadPoolExecutor blocking;
  private final ThreadPoolExecutor ruleSets;

  public HandlerPools() {
    int cores = Runtime.getRuntime().availableProcessors();
    this.blocking = pool("tollgate-handler", cores * 4);
    this.ruleSets = pool("tollgate-drl", ruleSetThreads(cores));
  }

  /**
   * Threads for rule sets: as many as the request threads that could be evaluating DRL at once
   * (twice the cores, at least 4), so that the pool is not the bottleneck while no rule runs away.
   */
  static int ruleSetThreads(int cores) {
    return Math.max(4, cores * 2);
  }

  public ThreadPoolExecutor blocking() {
    return blocking;
  }

  public ThreadPoolExecutor ruleSets() {
    return ruleSets;
  }

  private static ThreadPoolExecutor pool(String name, int threads) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, name);
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Interrupts what runs; a thread stuck in a rule that never ends stays until the JVM exits. */
  @Override
  public void close() {
    blocking.shutdownNow();
    ruleSets.shutdownNow();
  }
}
