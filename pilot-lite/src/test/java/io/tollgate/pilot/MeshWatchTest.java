package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.pilot.model.MeshFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the mesh files are ready to load: only after they stop changing, on a clock the test turns.
 */
class MeshWatchTest {
  static final Duration SETTLE = Duration.ofSeconds(1);

  @TempDir Path dir;
  final AtomicLong nanos = new AtomicLong();

  MeshWatch watch() throws Exception {
    return new MeshWatch(dir, SETTLE, nanos::get, MeshFiles.read(dir));
  }

  void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  static List<String> contents(Optional<List<MeshFiles.File>> files) {
    return files.orElseThrow().stream().map(f -> f.name() + "=" + f.content()).toList();
  }

  @Test
  void aChangeIsHandedOutOnlyAfterTheFilesStayTheSameForTheSettleInterval() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), "a: 1\n");
    MeshWatch watch = watch();
    assertThat(watch.poll()).isEmpty();

    Files.writeString(dir.resolve("mesh.yaml"), ""); // truncated, about to be written
    assertThat(watch.poll()).isEmpty();
    advance(Duration.ofMillis(600));
    Files.writeString(dir.resolve("mesh.yaml"), "a: 2\n"); // half of it
    assertThat(watch.poll()).isEmpty();
    advance(Duration.ofMillis(600));
    Files.writeString(dir.resolve("mesh.yaml"), "a: 2\nb: 2\n");
    assertThat(watch.poll()).as("changed again: the interval starts again").isEmpty();
    advance(Duration.ofMillis(999));
    assertThat(watch.poll()).isEmpty();
    advance(Duration.ofMillis(1));
    assertThat(contents(watch.poll())).containsExactly("mesh.yaml=a: 2\nb: 2\n");
    assertThat(watch.poll()).as("handed out once").isEmpty();
    advance(SETTLE.multipliedBy(5));
    assertThat(watch.poll()).isEmpty();
  }

  @Test
  void duringTheIntervalContentsAreComparedNotOnlyStamps() throws Exception {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, "a: 1\n");
    MeshWatch watch = watch();
    Files.writeString(file, "a: 22\n");
    assertThat(watch.poll()).isEmpty();
    FileTime mtime = Files.getLastModifiedTime(file);
    // Rewritten in place with the same size and time (file times are coarse): only the read tells.
    Files.writeString(file, "a: 33\n");
    Files.setLastModifiedTime(file, mtime);
    assertThat(MeshFiles.stamps(dir).get(0).size()).isEqualTo(6);
    advance(SETTLE);
    assertThat(watch.poll()).as("contents differ from the pending read").isEmpty();
    advance(SETTLE);
    assertThat(contents(watch.poll())).containsExactly("mesh.yaml=a: 33\n");
  }

  @Test
  void aTouchWithoutAChangeOfContentLoadsNothing() throws Exception {
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(file, "a: 1\n");
    MeshWatch watch = watch();
    Files.setLastModifiedTime(
        file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
    assertThat(watch.poll()).isEmpty();
    advance(SETTLE);
    assertThat(watch.poll()).isEmpty();
    Files.writeString(file, "a: 2\n");
    assertThat(watch.poll()).isEmpty();
    advance(SETTLE);
    assertThat(contents(watch.poll())).containsExactly("mesh.yaml=a: 2\n");
  }

  @Test
  void aConfigMapMountIsReadThroughItsLinksAndItsSwapIsSeenEvenWithEqualSizesAndTimes()
      throws Exception {
    Path v1 = Files.createDirectory(dir.resolve("..2025_01_01_00_00_00.000000001"));
    Files.writeString(v1.resolve("mesh.yaml"), "address: 10.0.0.1\n");
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Files.createSymbolicLink(dir.resolve("mesh.yaml"), Path.of("..data/mesh.yaml"));
    List<MeshFiles.File> first = MeshFiles.read(dir);
    assertThat(first)
        .extracting(MeshFiles.File::name, MeshFiles.File::content)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("mesh.yaml", "address: 10.0.0.1\n"));
    MeshWatch watch = watch();

    // As the kubelet does it: a new directory, a new ..data link beside it, renamed over the old
    // one.
    Path v2 = Files.createDirectory(dir.resolve("..2025_01_01_00_01_00.000000002"));
    Files.writeString(v2.resolve("mesh.yaml"), "address: 10.0.0.2\n");
    Files.setLastModifiedTime(
        v2.resolve("mesh.yaml"), Files.getLastModifiedTime(v1.resolve("mesh.yaml")));
    Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
    assertThat(watch.poll()).as("..-entries are not mesh files").isEmpty();
    advance(SETTLE);
    assertThat(watch.poll()).isEmpty();
    Files.move(
        dir.resolve("..data_tmp"),
        dir.resolve("..data"),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    Files.delete(v1.resolve("mesh.yaml"));
    Files.delete(v1);
    assertThat(watch.poll()).isEmpty();
    advance(SETTLE);
    assertThat(contents(watch.poll())).containsExactly("mesh.yaml=address: 10.0.0.2\n");
  }

  @Test
  void aFileThatCannotBeReadIsHandedOutWithWhyOnceThatIsStable() throws Exception {
    Files.writeString(dir.resolve("mesh.yaml"), "a: 1\n");
    MeshWatch watch = watch();
    Files.createSymbolicLink(dir.resolve("dangling.yaml"), Path.of("nowhere.yaml"));
    assertThat(watch.poll()).isEmpty();
    advance(SETTLE);
    List<MeshFiles.File> files = watch.poll().orElseThrow();
    assertThat(files)
        .extracting(MeshFiles.File::name)
        .containsExactly("dangling.yaml", "mesh.yaml");
    assertThat(files.get(0).content()).isNull();
    assertThat(files.get(0).error()).startsWith("NoSuchFileException");
  }
}
