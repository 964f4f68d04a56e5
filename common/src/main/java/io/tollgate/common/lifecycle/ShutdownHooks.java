package io.tollgate.common.lifecycle;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ShutdownHooks} close a command's servers when the JVM is asked to exit (SIGTERM, Ctrl-C):
 * in the order given, each one even when an earlier one failed to close.
 */
public final class ShutdownHooks {
  private static final System.Logger LOG = System.getLogger(ShutdownHooks.class.getName());

  private ShutdownHooks() {}

  /**
   * Registers a shutdown hook, a thread named {@code name}, that closes {@code closeables} in order
   * ({@code null}s are skipped), and waits until it has run: a command's {@code call} ends here.
   */
  public static void closeOnExitAndWait(String name, AutoCloseable... closeables)
      throws InterruptedException {
    closeOnExit(name, closeables).await();
  }

  /**
   * Registers a shutdown hook, a thread named {@code name}, that closes {@code closeables} in order
   * ({@code null}s are skipped). The latch returned reaches zero once all of them are closed.
   */
  public static CountDownLatch closeOnExit(String name, AutoCloseable... closeables) {
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(closer(closed, closeables), name));
    return closed;
  }

  static Runnable closer(CountDownLatch closed, AutoCloseable... closeables) {
    List<AutoCloseable> inOrder = Arrays.stream(closeables).filter(Objects::nonNull).toList();
    return () -> {
      try {
        for (AutoCloseable c : inOrder) {
          try {
            c.close();
          } catch (Exception | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "could not close " + c + " at exit", e);
          }
        }
      } finally {
        closed.countDown();
      }
    };
  }
}
