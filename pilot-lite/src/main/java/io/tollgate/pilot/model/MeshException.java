package io.tollgate.pilot.model;

import io.tollgate.common.config.ConfigError;
import java.util.List;
import java.util.stream.Collectors;

/** The mesh files do not load; every problem found, not only the first. */
public final class MeshException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient List<ConfigError> problems;

  public MeshException(List<ConfigError> problems) {
    super(
        problems.size()
            + " problem(s):\n  "
            + problems.stream().map(ConfigError::toString).collect(Collectors.joining("\n  ")));
    this.problems = List.copyOf(problems);
  }

  public List<ConfigError> problems() {
    return problems;
  }
}
