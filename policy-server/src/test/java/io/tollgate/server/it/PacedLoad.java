package io.tollgate.server.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code PacedLoad} sends HTTP/1.1 requests through a proxy on 127.0.0.1 as a steady client
 * population would, and keeps every outcome (when, status, latency) so that a test can ask what
 * clients saw in any time window: how many requests failed, from when to when, and the latency
 * percentiles.
 *
 * <p>At a fixed rate, request {@code i} is due at {@code start + i / rate} and a free worker sends
 * it then (an open model: a slow answer does not slow the schedule down, up to the number of
 * workers); at rate 0 every worker sends as fast as it gets answers (a closed loop, to find the
 * maximum). Either way the load stops by itself after {@code maxRequests} or {@code maxTime}.
 *
 * <p>A status of {@code -1} is a request the proxy did not answer (connection refused, reset,
 * timeout).
 */
final class PacedLoad implements AutoCloseable {
  /** One request: when it was sent (nanos since the load started), its status and latency. */
  record Outcome(long sentNanos, int status, long latencyNanos) {}

  /** What clients saw in one window. */
  record Window(
      long requests, long errors, Map<Integer, Long> errorStatuses, double p50, double p99) {
    double perSecond(Duration d) {
      return requests / (d.toNanos() / 1e9);
    }
  }

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final AtomicLong next = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> workers = new ArrayList<>();
  private final long start = System.nanoTime();
  private final URI uri;
  private final String host;
  private final String headerName;
  private final int headerValues;
  private final double perSecond;
  private final long maxRequests;
  private final long endNanos;

  private PacedLoad(
      int port,
      String host,
      String path,
      String headerName,
      int headerValues,
      double perSecond,
      int workerCount,
      long maxRequests,
      Duration maxTime) {
    this.uri = URI.create("http://127.0.0.1:" + port + path);
    this.host = host;
    this.headerName = headerName;
    this.headerValues = headerValues;
    this.perSecond = perSecond;
    this.maxRequests = maxRequests;
    this.endNanos = start + maxTime.toNanos();
    for (int w = 0; w < workerCount; w++) {
      Thread t = new Thread(this::work, "paced-load-" + w);
      t.setDaemon(true);
      workers.add(t);
    }
    workers.forEach(Thread::start);
  }

  /**
   * Starts {@code workers} clients sending {@code GET path} with {@code Host: host} to the proxy on
   * {@code port}, {@code perSecond} in all (0: as fast as answered), until stopped, {@code
   * maxRequests} were sent or {@code maxTime} passed.
   */
  static PacedLoad start(
      int port,
      String host,
      String path,
      double perSecond,
      int workers,
      long maxRequests,
      Duration maxTime) {
    return new PacedLoad(port, host, path, null, 0, perSecond, workers, maxRequests, maxTime);
  }

  /**
   * {@link #start} with a header {@code name} whose value cycles through {@code name-0} to {@code
   * name-<values - 1>} (spreading rate-limit descriptors over several keys).
   */
  static PacedLoad startWithHeader(
      int port,
      String host,
      String path,
      String name,
      int values,
      double perSecond,
      int workers,
      long maxRequests,
      Duration maxTime) {
    return new PacedLoad(port, host, path, name, values, perSecond, workers, maxRequests, maxTime);
  }

  private void work() {
    long period = perSecond > 0 ? (long) (1e9 / perSecond) : 0;
    while (running.get()) {
      long i = next.getAndIncrement();
      if (i >= maxRequests) {
        return;
      }
      long due = start + i * period;
      for (long now = System.nanoTime(); now < due; now = System.nanoTime()) {
        LockSupport.parkNanos(due - now);
        if (!running.get()) {
          return;
        }
      }
      long sent = System.nanoTime();
      if (sent > endNanos) {
        return;
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
      if (host != null) {
        b.header("host", host);
      }
      if (headerName != null) {
        b.header(headerName, headerName + "-" + (i % headerValues));
      }
      int status;
      try {
        status = http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException e) {
        status = -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      outcomes.add(new Outcome(sent - start, status, System.nanoTime() - sent));
    }
  }

  /** Nanos since the load started, on the clock outcomes are stamped with. */
  long now() {
    return System.nanoTime() - start;
  }

  /** Whether a worker is still sending (false once every bound is reached). */
  boolean isRunning() {
    return running.get() && workers.stream().anyMatch(Thread::isAlive);
  }

  /** How many requests were answered (or failed) so far. */
  int size() {
    return outcomes.size();
  }

  /** The outcomes of the requests sent in {@code [fromNanos, toNanos)}, in sending order. */
  List<Outcome> between(long fromNanos, long toNanos) {
    List<Outcome> out = new ArrayList<>();
    for (Outcome o : outcomes) {
      if (o.sentNanos() >= fromNanos && o.sentNanos() < toNanos) {
        out.add(o);
      }
    }
    out.sort((a, b) -> Long.compare(a.sentNanos(), b.sentNanos()));
    return out;
  }

  /** Every outcome so far, in sending order. */
  List<Outcome> all() {
    return between(Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /** What clients saw for the requests sent in {@code [fromNanos, toNanos)}. */
  Window window(long fromNanos, long toNanos) {
    return summarize(between(fromNanos, toNanos));
  }

  static Window summarize(List<Outcome> os) {
    long[] lat = new long[os.size()];
    long errors = 0;
    Map<Integer, Long> statuses = new TreeMap<>();
    for (int i = 0; i < lat.length; i++) {
      Outcome o = os.get(i);
      lat[i] = o.latencyNanos();
      if (o.status() != 200) {
        errors++;
        statuses.merge(o.status(), 1L, Long::sum);
      }
    }
    Arrays.sort(lat);
    return new Window(lat.length, errors, statuses, percentile(lat, 0.50), percentile(lat, 0.99));
  }

  /** The {@code q} quantile of sorted nanos, in milliseconds (NaN for none). */
  static double percentile(long[] sortedNanos, double q) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(q * sortedNanos.length) - 1;
    return sortedNanos[Math.max(0, Math.min(i, sortedNanos.length - 1))] / 1e6;
  }

  @Override
  public void close() {
    stop();
  }

  /** Stops sending and waits for the requests in flight; the outcomes stay readable. */
  void stop() {
    running.set(false);
    for (Thread t : workers) {
      LockSupport.unpark(t);
    }
    for (Thread t : workers) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(20));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
