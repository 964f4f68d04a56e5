package io.tollgate.adapter.spi;

/**
 * {@code Handler} is a configured adapter, built once per policy version and reused across versions
 * while its config is unchanged. Implementations must be thread-safe: one handler serves all
 * requests concurrently.
 */
public interface Handler extends AutoCloseable {

  /** Releases what the handler holds. Called once the policy version using it is replaced. */
  @Override
  default void close() {}
}
