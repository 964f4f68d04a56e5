package io.tollgate.pilot.model;

import java.util.List;
import java.util.stream.Collectors;

/** The mesh files do not load; every problem found, not only the first. */
public final class MeshException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient List<MeshProblem> problems;

  public MeshException(List<MeshProblem> problems) {
    super(
        problems.size()
            + " problem(s):\n  "
            + problems.stream().map(MeshProblem::toString).collect(Collectors.joining("\n  ")));
    this.problems = List.copyOf(problems);
  }

  public List<MeshProblem> problems() {
    return problems;
  }
}
