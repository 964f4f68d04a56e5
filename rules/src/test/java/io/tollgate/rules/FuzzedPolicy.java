package io.tollgate.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.common.config.ConfigError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code FuzzedPolicy} is the policy directory of a fuzz target: one file whose bytes the fuzzer
 * chooses, loaded the way the server loads a policy ({@link PolicyRuntime#startQuietly}) and, when
 * it loads, asked to decide a request. The documented bad input is {@link PolicyLoadException}:
 * every problem it lists must name the file (or the directory) and a line that exists. Any other
 * exception is a finding, and so is a decision that throws.
 */
final class FuzzedPolicy {
  private static final Attributes REQUEST =
      PolicyDir.request(
          "request.method", "POST",
          "request.path", "/admin/users?id=7",
          "request.url_path", "/admin/users",
          "request.host", "shop.example",
          "source.ip", "10.1.2.3",
          "source.principal", "spiffe://cluster.local/ns/shop/sa/web",
          "request.headers", Map.of("x-role", "user", "x-user", "alice"));

  private final Path dir;
  private final String name;

  /** A directory of its own (the fuzzing JVM's lifetime) holding the one file {@code name}. */
  FuzzedPolicy(String name) {
    try {
      this.dir = Files.createTempDirectory("tollgate-fuzz-policy");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.dir.toFile().deleteOnExit();
    this.name = name;
  }

  /** Writes {@code content} as the policy, loads it and, if it loads, decides one request. */
  void load(byte[] content) throws IOException {
    Files.write(dir.resolve(name), content);
    try (PolicyRuntime runtime = PolicyRuntime.startQuietly(RuntimeOptions.of(dir, null))) {
      assertThat(runtime.check(REQUEST)).isNotNull();
    } catch (PolicyLoadException e) {
      assertLocated(e, new String(content, StandardCharsets.UTF_8));
    }
  }

  private void assertLocated(PolicyLoadException e, String text) {
    assertThat(e.errors()).as("a refused policy says why").isNotEmpty();
    // YAML's line breaks, which DRL's are a subset of: \r\n, \r, \n, NEL, LS and PS.
    int lines = text.split("\r\n|[\r\n\u0085\u2028\u2029]", -1).length;
    for (ConfigError error : e.errors()) {
      assertThat(error.file()).as(error.toString()).isIn(name, dir.toString());
      assertThat(error.line()).as("line of " + error).isBetween(0, lines + 1);
      assertThat(error.message()).as(error.toString()).isNotBlank();
    }
  }
}
