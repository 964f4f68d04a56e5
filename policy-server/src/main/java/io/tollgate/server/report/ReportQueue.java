package io.tollgate.server.report;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.rules.PolicyRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ReportQueue} runs report rules off the request path: finished requests are offered to a
 * bounded queue and report workers take them to the policy's report handlers. When the queue is
 * full an entry is dropped and counted; {@link #offer} never blocks, so an access-log stream is
 * never held up by slow handlers. Thread-safe.
 */
public final class ReportQueue implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ReportQueue.class);

  private final PolicyRuntime runtime;
  private final BlockingQueue<Attributes> queue;
  private final List<Thread> workers = new ArrayList<>();
  private final CounterDataPoint queued;
  private final CounterDataPoint dropped;
  private final CounterDataPoint invalid;
  private final CounterDataPoint recorded;
  private final DistributionDataPoint latency;
  private volatile boolean closed;

  public ReportQueue(
      PolicyRuntime runtime, int capacity, int threads, PrometheusRegistry registry) {
    this.runtime = runtime;
    this.queue = new ArrayBlockingQueue<>(capacity);
    Counter entries =
        Counter.builder()
            .name("tollgate_report_entries_total")
            .help(
                "Access-log entries received, by result: queued for the report rules, dropped (queue full), invalid")
            .labelNames("result")
            .register(registry);
    queued = entries.labelValues("queued");
    dropped = entries.labelValues("dropped");
    invalid = entries.labelValues("invalid");
    recorded =
        Counter.builder()
            .name("tollgate_report_instances_total")
            .help("Metric and logentry instances recorded by report handlers")
            .register(registry)
            .labelValues();
    latency =
        Histogram.builder()
            .name("tollgate_report_duration_seconds")
            .help("Time to run the report rules for one entry, on a report worker")
            .unit(Unit.SECONDS)
            .classicOnly()
            .classicUpperBounds(0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1)
            .register(registry)
            .labelValues();
    GaugeWithCallback.builder()
        .name("tollgate_report_queue_entries")
        .help("Entries waiting for a report worker (the queue holds " + capacity + ")")
        .callback(cb -> cb.call(queue.size()))
        .register(registry);
    ThreadFactory reportWorkers = DaemonThreads.numbered("tollgate-report");
    for (int i = 0; i < threads; i++) {
      Thread t = reportWorkers.newThread(this::work);
      t.start();
      workers.add(t);
    }
  }

  /** Queues one finished request; false (and counted) when the queue is full. Never blocks. */
  public boolean offer(Attributes a) {
    if (!closed && queue.offer(a)) {
      queued.inc();
      return true;
    }
    dropped.inc();
    return false;
  }

  /** Counts an entry that could not be read. */
  public void invalid() {
    invalid.inc();
  }

  private void work() {
    while (!closed) {
      Attributes a;
      try {
        a = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (a == null) {
        continue;
      }
      long start = System.nanoTime();
      try {
        recorded.inc(runtime.report(a));
      } catch (RuntimeException e) {
        log.warn("report rules failed for an entry: {}", e.toString());
      }
      latency.observe((System.nanoTime() - start) / 1e9);
    }
  }

  /** Stops the workers; entries still queued are not reported. */
  @Override
  public void close() {
    closed = true;
    workers.forEach(Thread::interrupt);
  }
}
