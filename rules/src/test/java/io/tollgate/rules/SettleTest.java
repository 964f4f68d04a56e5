package io.tollgate.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tollgate.rules.fake.EditingAdapter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A version is compiled only from files that have stopped changing. */
class SettleTest {
  private static final int RULES = 30;

  @TempDir Path dir;

  private static List<String> ruleNames(int version) {
    return IntStream.range(0, RULES).mapToObj(i -> "v" + version + "-rule-" + i).toList();
  }

  /** A policy whose every prefix cut at a document boundary is valid YAML with fewer rules. */
  private static String policy(int version) {
    StringBuilder b =
        new StringBuilder("kind: Handler\nname: h\nadapter: fixed\nparams: {allow: true}\n");
    for (String r : ruleNames(version)) {
      b.append("---\nkind: Rule\nname: ")
          .append(r)
          .append("\nmatch: request.path.startsWith('/")
          .append(r)
          .append("')\nactions: [{handler: h}]\n");
    }
    return b.toString();
  }

  @Test
  void aFileRewrittenInPlaceSlowlyIsNeverServedHalfWrittenNorFailsToLoad() throws Exception {
    Path file = dir.resolve("rules.yaml");
    Files.writeString(file, policy(0));
    List<ReloadResult> reloads = new CopyOnWriteArrayList<>();
    List<List<String>> served = new CopyOnWriteArrayList<>();
    try (PolicyRuntime rt =
        PolicyRuntime.start(RuntimeOptions.of(dir, null).withSettle(Duration.ofMillis(300)))) {
      rt.onReload(
          r -> {
            reloads.add(r);
            if (r.swapped()) {
              served.add(rt.snapshot().ruleNames());
            }
          });
      rt.watch(Duration.ofMillis(20));
      List<List<String>> complete = new ArrayList<>();
      for (int v = 1; v <= 4; v++) {
        complete.add(ruleNames(v));
        byte[] text = policy(v).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch =
            FileChannel.open(
                file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
          awaitLook(rt);
          // Chunks that do not fall on line ends, each seen by the watcher before the next is
          // written.
          for (int at = 0; at < text.length; at += 97) {
            ch.write(ByteBuffer.wrap(text, at, Math.min(97, text.length - at)));
            awaitLook(rt);
          }
        }
        int version = v;
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> rt.snapshot().ruleNames().equals(ruleNames(version)));
      }
      assertThat(reloads).isNotEmpty().allSatisfy(r -> assertThat(r.errors()).isEmpty());
      assertThat(served).isNotEmpty().allSatisfy(names -> assertThat(complete).contains(names));
      assertThat(rt.status().lastErrors()).isEmpty();
    }
  }

  /** Waits until the watcher has looked at the files at least once since now. */
  private static void awaitLook(PolicyRuntime rt) {
    long seen = rt.watchPolls();
    await()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(1))
        .atMost(Duration.ofSeconds(10))
        .until(() -> rt.watchPolls() >= seen + 2);
  }

  private static String editing(int n, String rule) {
    return "kind: Handler\nname: h\nadapter: editing\nparams: {n: "
        + n
        + "}\n---\n"
        + "kind: Rule\nname: "
        + rule
        + "\nactions: [{handler: h}]\n";
  }

  @Test
  void aVersionWhoseFilesChangeWhileItCompilesIsDroppedAndTheNewFilesAreCompiled()
      throws Exception {
    Path file = dir.resolve("p.yaml");
    Files.writeString(file, editing(0, "zero"));
    try (PolicyRuntime rt =
        PolicyRuntime.start(RuntimeOptions.of(dir, null).withSettle(Duration.ofMillis(20)))) {
      List<ReloadResult> reloads = new CopyOnWriteArrayList<>();
      rt.onReload(reloads::add);
      Files.writeString(file, editing(1, "one"));
      // p.yaml has been read when the handler is built; it changes then.
      EditingAdapter.DURING_BUILD.set(() -> write(file, editing(2, "two")));

      ReloadResult r = rt.reload();

      assertThat(EditingAdapter.DURING_BUILD.get()).isNull();
      assertThat(r.swapped()).isTrue();
      assertThat(rt.snapshot().ruleNames()).containsExactly("two");
      assertThat(reloads).as("the dropped compile is not announced").containsExactly(r);
    } finally {
      EditingAdapter.DURING_BUILD.set(null);
    }
  }

  private static void write(Path f, String text) {
    try {
      Files.writeString(f, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
