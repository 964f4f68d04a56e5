package io.tollgate.pilot;

import io.tollgate.common.config.ConfigError;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.pilot.model.MeshException;
import io.tollgate.pilot.model.MeshFiles;
import io.tollgate.pilot.model.MeshLoader;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code MeshReloader} loads the mesh directory and hands every version that validates to the
 * {@link SnapshotPublisher}: the first at start, where one that does not validate is an error;
 * then, polling on its own thread, each one whose files have stopped changing ({@link MeshWatch}).
 * A version that does not validate is logged with every problem and counted; the last good one
 * keeps serving.
 */
final class MeshReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshReloader.class);

  private final Path dir;
  private final Duration settle;
  private final Duration pollInterval;
  private final SnapshotPublisher publisher;
  private final PilotMetrics metrics;
  private final ScheduledExecutorService watcher;

  /** Read and written by the watcher thread only (after {@link #start}). */
  private MeshWatch watch;

  private final AtomicLong polls = new AtomicLong();
  private volatile List<String> lastProblems = List.of();

  /**
   * {@code settle}: how long the files must stay the same before a version is built from them;
   * {@code pollInterval}: how often to look at them, zero for never after the first.
   */
  MeshReloader(
      Path dir,
      Duration settle,
      Duration pollInterval,
      SnapshotPublisher publisher,
      PilotMetrics metrics) {
    this.dir = dir;
    this.settle = settle;
    this.pollInterval = pollInterval;
    this.publisher = publisher;
    this.metrics = metrics;
    this.watcher =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("tollgate-pilot-watch"));
  }

  /**
   * Publishes the first version, once the files have stopped changing; throws {@link MeshException}
   * when the directory cannot be listed or the mesh does not validate.
   */
  void loadFirst() throws IOException, MeshException {
    List<MeshFiles.File> first;
    try {
      first = MeshWatch.settledAtStart(dir, settle);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(
          "interrupted while waiting for the mesh files to stop changing");
    } catch (IOException e) {
      throw new MeshException(
          List.of(
              ConfigError.of(dir.toString(), "cannot list the mesh directory: " + e.getMessage())));
    }
    publisher.publish(MeshLoader.load(first));
    watch = new MeshWatch(dir, settle, System::nanoTime, first);
  }

  /** Starts polling, unless the poll interval is zero. */
  void start() {
    if (!pollInterval.isZero()) {
      long ms = pollInterval.toMillis();
      watcher.scheduleWithFixedDelay(
          FatalErrors.guard("the mesh watch", this::reloadIfChanged),
          ms,
          ms,
          TimeUnit.MILLISECONDS);
    }
  }

  /** Problems of the last attempt to load, empty when it loaded. */
  List<String> lastProblems() {
    return lastProblems;
  }

  /** How many times the watcher has looked at the mesh files. */
  long polls() {
    return polls.get();
  }

  private void reloadIfChanged() {
    try {
      Optional<List<MeshFiles.File>> files = watch.poll();
      if (files.isEmpty()) {
        return;
      }
      publisher.publish(MeshLoader.load(files.get()));
      lastProblems = List.of();
      metrics.reloads.labelValues("success").inc();
    } catch (MeshException e) {
      lastProblems = e.problems().stream().map(Object::toString).toList();
      metrics.reloads.labelValues("failure").inc();
      log.error(
          "mesh reload failed with {} problem(s); version {} keeps serving:\n  {}",
          e.problems().size(),
          publisher.version(),
          String.join("\n  ", lastProblems));
    } catch (IOException | RuntimeException e) {
      metrics.reloads.labelValues("failure").inc();
      log.error("mesh reload failed; version {} keeps serving", publisher.version(), e);
    } finally {
      polls.incrementAndGet();
    }
  }

  @Override
  public void close() {
    watcher.shutdownNow();
  }
}
