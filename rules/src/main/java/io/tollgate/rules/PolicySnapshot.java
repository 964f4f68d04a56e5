package io.tollgate.rules;

/** Placeholder; see PolicyRuntime. */
public final class PolicySnapshot {
  private PolicySnapshot() {}

  public long version() {
    return 0;
  }
}
