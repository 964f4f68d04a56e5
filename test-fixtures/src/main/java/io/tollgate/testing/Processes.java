package io.tollgate.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code Processes} stops the peer processes tests start. */
public final class Processes {
  private Processes() {}

  /** Asks {@code p} to stop (SIGTERM) and kills it if it has not within {@code grace}. */
  public static void stop(Process p, Duration grace) {
    p.destroy();
    try {
      if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
