package io.tollgate.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code Peers} finds the real programs integration tests talk to. A missing peer fails the test
 * with what to run; it is never a skip, so a green run always means the peer was exercised.
 */
public final class Peers {
  private Peers() {}

  /**
   * The first executable among {@code candidates} (absolute paths or names looked up on the PATH),
   * or a test failure naming the install command.
   */
  public static Path require(String program, String install, String... candidates) {
    for (String c : candidates) {
      Path p = Path.of(c);
      if (p.isAbsolute()) {
        if (Files.isExecutable(p)) {
          return p;
        }
        continue;
      }
      for (String dir :
          List.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))) {
        if (dir.isEmpty()) {
          continue;
        }
        Path q = Path.of(dir, c);
        if (Files.isExecutable(q)) {
          return q;
        }
      }
    }
    return fail(
        program
            + " is needed by this test and was not found (looked for "
            + String.join(", ", candidates)
            + "). Install it with: "
            + install
            + (isCi() ? " (CI=true: scripts/test should have done this)" : ""));
  }

  /** Whether this is a CI run. */
  public static boolean isCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }
}
