package io.tollgate.pilot;

import io.tollgate.pilot.model.MeshFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * {@code MeshWatch} decides when the mesh directory holds a new version worth loading: only once
 * its files have stopped changing. An editor, {@code kubectl cp} or a script that rewrites a file
 * in place truncates it first and writes it in pieces; each piece may be valid YAML (an empty file
 * is), and serving it would withdraw routes from every proxy for a moment.
 *
 * <p>Each {@link #poll} compares the files' stamps ({@link MeshFiles.Stamp}) with those of the
 * version last handed out; that is all it does while nothing changes. Once they differ it reads
 * every file, and from then on reads them at every poll: the files are handed out when every read
 * for {@code settle} has been identical, stamps and contents, and their contents differ from the
 * last ones handed out (a touch alone loads nothing). Any difference starts the settle interval
 * again.
 *
 * <p>Not thread-safe: one watcher thread polls it.
 */
final class MeshWatch {
  /** How long files must stay the same before they are loaded, unless configured otherwise. */
  static final Duration DEFAULT_SETTLE = Duration.ofMillis(300);

  /**
   * At start, how many settle intervals to wait for files that keep changing before loading them as
   * they are.
   */
  private static final int START_ROUNDS = 20;

  private final Path dir;
  private final long settleNanos;
  private final LongSupplier nanoTime;
  private List<MeshFiles.Stamp> servedStamps;
  private List<String> servedContents;
  private List<MeshFiles.File> pending;
  private long pendingSince;

  /** {@code served}: the files the serving version was loaded from. */
  MeshWatch(Path dir, Duration settle, LongSupplier nanoTime, List<MeshFiles.File> served) {
    if (settle.isNegative()) {
      throw new IllegalArgumentException("the settle interval must not be negative: " + settle);
    }
    this.dir = dir;
    this.settleNanos = settle.toNanos();
    this.nanoTime = nanoTime;
    serve(served);
  }

  /**
   * The files as they are once they stop changing, for the first version: read, wait {@code
   * settle}, read again, until two reads agree (or, after {@value #START_ROUNDS} rounds, as they
   * are).
   */
  static List<MeshFiles.File> settledAtStart(Path dir, Duration settle)
      throws IOException, InterruptedException {
    List<MeshFiles.File> files = MeshFiles.read(dir);
    for (int i = 0; i < START_ROUNDS && !settle.isZero(); i++) {
      Thread.sleep(settle.toMillis(), settle.toNanosPart() % 1_000_000);
      List<MeshFiles.File> again = MeshFiles.read(dir);
      if (again.equals(files)) {
        break;
      }
      files = again;
    }
    return files;
  }

  /**
   * The files to load, when they changed since the last ones handed out and have been the same for
   * the settle interval.
   */
  Optional<List<MeshFiles.File>> poll() throws IOException {
    if (pending == null) {
      if (MeshFiles.stamps(dir).equals(servedStamps)) {
        return Optional.empty();
      }
      pending = MeshFiles.read(dir);
      pendingSince = nanoTime.getAsLong();
      return Optional.empty();
    }
    List<MeshFiles.File> now = MeshFiles.read(dir);
    long t = nanoTime.getAsLong();
    if (!now.equals(pending)) {
      pending = now;
      pendingSince = t;
      return Optional.empty();
    }
    if (t - pendingSince < settleNanos) {
      return Optional.empty();
    }
    pending = null;
    boolean same = contents(now).equals(servedContents);
    serve(now);
    return same ? Optional.empty() : Optional.of(now);
  }

  private void serve(List<MeshFiles.File> files) {
    servedStamps = files.stream().map(MeshFiles.File::stamp).toList();
    servedContents = contents(files);
  }

  private static List<String> contents(List<MeshFiles.File> files) {
    return files.stream()
        .map(f -> f.name() + "\0" + (f.content() != null ? f.content() : "\0" + f.error()))
        .toList();
  }
}
