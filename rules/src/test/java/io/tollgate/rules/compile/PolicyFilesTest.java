package io.tollgate.rules.compile;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.ConfigError;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The limits a policy directory is listed within, before any file is read. */
class PolicyFilesTest {
  @TempDir Path dir;

  private static void sized(Path f, long bytes) throws IOException {
    try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "rw")) {
      r.setLength(bytes); // sparse: costs no disk
    }
  }

  private PolicyFiles scan() throws IOException {
    return PolicyFiles.scan(dir, n -> n.endsWith(".drl") ? "drools" : null);
  }

  @Test
  void aPolicyFileOverTheSizeLimitIsRefusedByNameAndNotListed() throws IOException {
    Files.writeString(dir.resolve("a.yaml"), "kind: Rule\nname: a\n");
    sized(dir.resolve("big.yaml"), PolicyFiles.MAX_FILE_BYTES + 1);
    sized(dir.resolve("big.drl"), PolicyFiles.MAX_FILE_BYTES + 1);
    sized(dir.resolve("notes.bin"), PolicyFiles.MAX_FILE_BYTES + 1);
    PolicyFiles files = scan();
    assertThat(files.problems())
        .map(ConfigError::toString)
        .containsExactlyInAnyOrder(
            "big.yaml: is 16777217 bytes; a policy file may have at most 16777216 (16 MiB): split it",
            "big.drl: is 16777217 bytes; a policy file may have at most 16777216 (16 MiB): split it");
    assertThat(files.yaml()).containsExactly(dir.resolve("a.yaml"));
    assertThat(files.stamps()).as("still watched, so a fix is noticed").hasSize(4);
  }

  @Test
  void policyFilesOverTheTotalLimitAreRefused() throws IOException {
    for (int i = 0; i < 5; i++) {
      sized(dir.resolve("part" + i + ".yaml"), PolicyFiles.MAX_FILE_BYTES);
    }
    assertThat(scan().problems())
        .singleElement()
        .asString()
        .contains("the policy files up to this one have more than 67108864 bytes (64 MiB) in all");
  }

  @Test
  void aDirectoryWithTooManyEntriesStopsBeingListed() throws IOException {
    for (int i = 0; i <= PolicyFiles.MAX_ENTRIES; i++) {
      Files.createFile(dir.resolve("f" + i + ".txt"));
    }
    PolicyFiles files = scan();
    assertThat(files.problems())
        .singleElement()
        .asString()
        .startsWith(".: more than 10000 files in the policy directory; the rest were not read");
    assertThat(files.stamps()).hasSize(PolicyFiles.MAX_ENTRIES);
  }
}
