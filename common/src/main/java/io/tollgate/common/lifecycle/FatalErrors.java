package io.tollgate.common.lifecycle;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * {@code FatalErrors} records that the process can no longer be trusted to work: the JVM ran out of
 * memory (or hit another {@link VirtualMachineError} but a stack overflow, which one deep recursion
 * causes and ends), or one of Tollgate's own threads died (those named {@code tollgate-...}). A
 * server that records one is half-alive, still answering on some paths while others are dead; it
 * says so in {@code /healthz} and {@code /readyz} instead, and exits when asked to. JVM-wide, as
 * uncaught exceptions are; thread-safe.
 *
 * <p>{@link #install} makes it the default uncaught-exception handler. Code that catches a {@link
 * Throwable} on behalf of a task (a pool's future, a periodic task) hands it to {@link
 * #reportIfFatal} rather than swallowing it; {@link #guard} does that for periodic tasks, which a
 * scheduler otherwise stops for good, silently, on their first throw.
 */
public final class FatalErrors {
  private static final System.Logger LOG = System.getLogger(FatalErrors.class.getName());
  private static final AtomicReference<String> FIRST = new AtomicReference<>();
  private static final List<Consumer<String>> LISTENERS = new CopyOnWriteArrayList<>();

  private FatalErrors() {}

  /** Makes {@link #uncaught} the JVM's default uncaught-exception handler. */
  public static void install() {
    Thread.setDefaultUncaughtExceptionHandler(FatalErrors::uncaught);
  }

  /**
   * A thread died of {@code e}. Fatal when {@code e} {@linkplain #isFatal is} (whichever the
   * thread) or the thread is one of Tollgate's; a library thread's other exceptions are only
   * logged.
   */
  public static void uncaught(Thread thread, Throwable e) {
    String what = "thread " + thread.getName() + " died: " + e;
    if (isFatal(e) || thread.getName().startsWith("tollgate-")) {
      report(what, e);
    } else {
      LOG.log(System.Logger.Level.ERROR, what, e);
    }
  }

  /**
   * Records a fatal error, {@code what} saying what failed. The first one is kept as the reason;
   * listeners hear of that first one only.
   */
  public static void report(String what, Throwable e) {
    LOG.log(System.Logger.Level.ERROR, "fatal: " + what, e);
    if (FIRST.compareAndSet(null, what)) {
      for (Consumer<String> l : LISTENERS) {
        try {
          l.accept(what);
        } catch (RuntimeException failed) {
          LOG.log(System.Logger.Level.ERROR, "a fatal-error listener failed", failed);
        }
      }
    }
  }

  /**
   * Whether {@code e} leaves the JVM unfit to go on: a {@link VirtualMachineError} (out of memory,
   * an internal error) but a {@link StackOverflowError}, which unwinds and leaves nothing broken.
   */
  public static boolean isFatal(Throwable e) {
    return e instanceof VirtualMachineError && !(e instanceof StackOverflowError);
  }

  /** Reports {@code e} when it {@linkplain #isFatal is fatal}; for catch blocks. */
  public static void reportIfFatal(String what, Throwable e) {
    if (isFatal(e)) {
      report(what + ": " + e, e);
    }
  }

  /** The first fatal error recorded, if any: what failed. */
  public static Optional<String> reason() {
    return Optional.ofNullable(FIRST.get());
  }

  /**
   * Calls {@code listener} with the first fatal error (at once when there was one already). Returns
   * what removes it.
   */
  public static Runnable onFatal(Consumer<String> listener) {
    LISTENERS.add(listener);
    String first = FIRST.get();
    if (first != null) {
      listener.accept(first);
    }
    return () -> LISTENERS.remove(listener);
  }

  /**
   * Exits the JVM with {@code status} on the first fatal error, running the shutdown hooks; halts
   * it when they have not finished within {@code grace} (a JVM out of memory may not get through
   * them).
   */
  public static void exitOnFatal(int status, java.time.Duration grace) {
    onFatal(
        reason -> {
          Thread halt =
              new Thread(
                  () -> {
                    try {
                      Thread.sleep(grace.toMillis());
                    } catch (InterruptedException e) {
                      return;
                    }
                    Runtime.getRuntime().halt(status);
                  },
                  "tollgate-fatal-halt");
          halt.setDaemon(true);
          halt.start();
          Thread exit = new Thread(() -> System.exit(status), "tollgate-fatal-exit");
          exit.start();
        });
  }

  /**
   * {@code task} for a periodic schedule: an exception is logged and the schedule goes on; an
   * {@link Error} is reported as fatal (the task named {@code name} stops) and rethrown.
   */
  public static Runnable guard(String name, Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, name + " failed; it runs again on schedule", e);
      } catch (Error e) {
        report(name + " stopped: " + e, e);
        throw e;
      }
    };
  }

  /** Forgets what was recorded; for tests in one JVM. */
  static void reset() {
    FIRST.set(null);
    LISTENERS.clear();
  }
}
