package io.tollgate.testing;

/**
 * {@code Closeables} closes what a test started, in order, skipping nulls and going on past
 * failures.
 */
public final class Closeables {
  private Closeables() {}

  /** Closes each of {@code all} that is not null; a failure to close one does not stop the rest. */
  public static void closeAll(AutoCloseable... all) {
    for (AutoCloseable c : all) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the rest
      }
    }
  }
}
