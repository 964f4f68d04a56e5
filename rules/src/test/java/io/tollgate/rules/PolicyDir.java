package io.tollgate.rules;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.MapAttributes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

/** A policy directory written by a test. */
final class PolicyDir {
  final Path dir;
  private long tick = 1;

  PolicyDir(Path dir) {
    this.dir = dir;
  }

  /** Writes a file, moving its modification time forward so a change is always visible. */
  PolicyDir write(String name, String text) {
    try {
      Path f = dir.resolve(name);
      Files.createDirectories(f.getParent());
      Files.writeString(f, text);
      Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(tick++)));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  PolicyDir delete(String name) {
    try {
      Files.deleteIfExists(dir.resolve(name));
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  RuntimeOptions options() {
    return RuntimeOptions.of(dir, null);
  }

  PolicyRuntime start() throws PolicyLoadException {
    return PolicyRuntime.start(options());
  }

  static Attributes request(Object... kv) {
    MapAttributes.Builder b = MapAttributes.builder();
    for (int i = 0; i < kv.length; i += 2) {
      b.put((String) kv[i], kv[i + 1]);
    }
    return b.build();
  }

  static Map<String, String> headers(String... kv) {
    java.util.Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }
}
