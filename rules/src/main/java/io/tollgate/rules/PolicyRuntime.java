package io.tollgate.rules;

import io.tollgate.adapter.spi.Attributes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * {@code PolicyRuntime} serves one policy directory: it holds the active {@link PolicySnapshot},
 * decides requests with it, and replaces it only when a complete new snapshot compiles
 * (compile-all-then-swap).
 *
 * <p>Thread-safe. {@link #check} never blocks on a reload: a request is decided by whichever
 * snapshot was active when it arrived.
 */
public final class PolicyRuntime implements Decider, AutoCloseable {

  /**
   * What to load.
   *
   * @param policyDir the policy directory
   * @param pluginsDir a directory of adapter plugin jars, or {@code null} for none
   * @param blockingTimeout the default deadline for handlers that block
   */
  public record Options(Path policyDir, Path pluginsDir, Duration blockingTimeout) {
    public Options {
      java.util.Objects.requireNonNull(policyDir, "policyDir");
      blockingTimeout = blockingTimeout == null ? Duration.ofMillis(100) : blockingTimeout;
    }

    public static Options of(Path policyDir, Path pluginsDir) {
      return new Options(policyDir, pluginsDir, null);
    }
  }

  private PolicyRuntime() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Loads the policy; throws with every problem when it does not compile. */
  public static PolicyRuntime start(Options options) throws PolicyLoadException {
    throw new UnsupportedOperationException("not yet");
  }

  /** Compiles without serving: the errors, empty when the policy is valid. For validate. */
  public static java.util.List<ConfigError> validate(Options options) {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public PolicyDecision check(Attributes attributes) {
    throw new UnsupportedOperationException("not yet");
  }

  /** The active snapshot. */
  public PolicySnapshot snapshot() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Compiles the directory now and swaps if it compiles. */
  public ReloadResult reload() {
    throw new UnsupportedOperationException("not yet");
  }

  /** The active version and the last failed reload. */
  public RuntimeStatus status() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Calls {@code listener} after every reload attempt (success or failure), on the reloading thread. */
  public void onReload(Consumer<ReloadResult> listener) {
    throw new UnsupportedOperationException("not yet");
  }

  /**
   * Starts polling the policy directory, the plugins directory and every file a handler reads,
   * reloading when they change. Stopped by {@link #close}.
   */
  public void watch(Duration interval) {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public void close() {}
}
