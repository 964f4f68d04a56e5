package io.tollgate.rules;

import io.tollgate.adapter.spi.Handler;
import io.tollgate.rules.compile.PolicyCompiler;
import io.tollgate.rules.snapshot.HandlerEntry;
import io.tollgate.rules.snapshot.PolicySnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Retirement} closes a replaced policy version's handlers once the requests under way on it
 * have finished, as Mixer's runtime waited for in-flight requests before closing handlers. A
 * retired version takes no new request ({@link PolicySnapshot#enter}); when its count of requests
 * under way reaches zero, or at most {@link #drainBound} later, the handlers that no live version
 * uses are closed. Versions are retired one after the other on one thread, so a handler shared by
 * two replaced versions is closed only after both drained.
 */
final class Retirement implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Retirement.class);
  private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);

  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "tollgate-policy-retire");
            t.setDaemon(true);
            return t;
          });

  /** Replaced versions whose requests may still be under way. */
  private final Set<PolicySnapshot> retiring = ConcurrentHashMap.newKeySet();

  /** The versions that serve or are about to: the serving one and the one being warmed. */
  private final Supplier<List<PolicySnapshot>> current;

  Retirement(Supplier<List<PolicySnapshot>> current) {
    this.current = current;
  }

  /** Retires {@code old}, which has just been replaced. */
  void retire(PolicySnapshot old) {
    old.retire();
    retiring.add(old);
    try {
      thread.execute(() -> drainAndClose(old));
    } catch (RejectedExecutionException e) {
      retiring.remove(old); // closing: close() closes every handler
    }
  }

  /** How long a replaced version's requests may take to finish before its handlers close anyway. */
  static Duration drainBound(PolicySnapshot old) {
    Duration longest = Duration.ZERO;
    for (HandlerEntry h : old.handlers().values()) {
      if (h.timeout() != null && h.timeout().compareTo(longest) > 0) {
        longest = h.timeout();
      }
    }
    return longest.plus(DRAIN_GRACE);
  }

  private void drainAndClose(PolicySnapshot old) {
    Duration bound = drainBound(old);
    long until = System.nanoTime() + bound.toNanos();
    while (old.inFlight() > 0 && System.nanoTime() - until < 0) {
      LockSupport.parkNanos(2_000_000);
      if (Thread.currentThread().isInterrupted()) {
        return; // closing: close() closes every handler
      }
    }
    if (old.inFlight() > 0) {
      log.warn(
          "policy version {} still has {} request(s) under way {} ms after it was replaced; closing"
              + " the handlers it alone used anyway",
          old.version(),
          old.inFlight(),
          bound.toMillis());
    }
    retiring.remove(old);
    Set<Handler> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    for (PolicySnapshot live : live()) {
      live.handlers().values().forEach(h -> kept.add(h.handler()));
    }
    for (HandlerEntry h : old.handlers().values()) {
      if (kept.add(h.handler())) {
        PolicyCompiler.closeQuietly(h.handler());
      }
    }
  }

  /** The current versions and the replaced ones not yet drained. */
  private List<PolicySnapshot> live() {
    List<PolicySnapshot> live = new ArrayList<>(retiring);
    live.addAll(current.get());
    return live;
  }

  /**
   * Waits until every version retired so far is drained and closed; whether within {@code timeout}.
   */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    thread.execute(() -> done.complete(null));
    try {
      done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /** Stops waiting and closes the handlers of every live version, each once. */
  @Override
  public void close() {
    thread.shutdownNow();
    Set<Handler> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    for (PolicySnapshot s : live()) {
      for (HandlerEntry h : s.handlers().values()) {
        if (closed.add(h.handler())) {
          PolicyCompiler.closeQuietly(h.handler());
        }
      }
    }
  }
}
