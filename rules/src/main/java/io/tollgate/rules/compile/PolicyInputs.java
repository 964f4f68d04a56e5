package io.tollgate.rules.compile;

import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.snapshot.HandlerEntry;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code PolicyInputs} stamps and reads what a compile takes in: the policy files, the plugin jars
 * and the files handlers read. A version is made only of inputs that held still while they were
 * read: a file read at another size than it was stamped is torn, and a compile whose stamps changed
 * is done again.
 */
public final class PolicyInputs {
  private PolicyInputs() {}

  /**
   * Stamps of every input as they are now: the policy files, the plugin jars, and every file the
   * last attempt read (so a handler's list file outside the directory is watched too).
   */
  public static Map<Path, String> fingerprint(
      Path policyDir,
      Function<String, String> engineOf,
      Path pluginsDir,
      Map<Path, String> lastAttempt) {
    Map<Path, String> f = new HashMap<>();
    for (Path p : lastAttempt.keySet()) {
      f.put(p, PolicyFiles.stamp(p));
    }
    try {
      f.putAll(PolicyFiles.scan(policyDir, engineOf).stamps());
    } catch (IOException e) {
      f.put(policyDir, "unreadable");
    }
    addPlugins(pluginsDir, f);
    return f;
  }

  public static void addPlugins(Path pluginsDir, Map<Path, String> f) {
    if (pluginsDir != null) {
      try (var s = Files.list(pluginsDir)) {
        s.filter(p -> p.toString().endsWith(".jar")).forEach(p -> f.put(p, PolicyFiles.stamp(p)));
      } catch (IOException e) {
        f.put(pluginsDir, "unreadable");
      }
    }
  }

  /** Whether every input is as it was stamped before it was read: no file changed, came or went. */
  public static boolean settled(PolicyFiles files, Map<String, HandlerEntry> handlers) {
    try {
      if (!files.rescan().stamps().equals(files.stamps())) {
        return false;
      }
    } catch (IOException e) {
      return false;
    }
    return handlers.values().stream().allMatch(h -> HandlerBuilder.unchanged(h.fileStamps()));
  }

  public static Map<Path, String> fingerprintOf(
      PolicyFiles files, Map<String, HandlerEntry> handlers, Path pluginsDir) {
    Map<Path, String> f = new HashMap<>(files.stamps());
    addPlugins(pluginsDir, f);
    for (HandlerEntry h : handlers.values()) {
      f.putAll(h.fileStamps());
    }
    return f;
  }

  /**
   * The text of policy file {@code f}; {@code null} when unreadable (a problem) or torn (flagged).
   */
  public static String read(PolicyFiles files, Path f, Problems problems, boolean[] torn) {
    String rel = files.relative(f);
    try {
      byte[] bytes = Files.readAllBytes(f);
      Long stamped = files.sizes().get(f);
      if (stamped != null && stamped != bytes.length) {
        torn[0] = true;
        return null;
      }
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      problems.add(ConfigError.of(rel, "file is not valid UTF-8"));
    } catch (IOException e) {
      problems.add(ConfigError.of(rel, "cannot read: " + e.getMessage()));
    }
    return null;
  }
}
