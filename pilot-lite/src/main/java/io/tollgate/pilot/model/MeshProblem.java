package io.tollgate.pilot.model;

/**
 * Something wrong in a mesh file: where ({@code file:line:column}, column 0 when unknown) and what
 * to do.
 */
public record MeshProblem(String file, int line, int column, String message) {
  @Override
  public String toString() {
    return file + ":" + line + (column > 0 ? ":" + column : "") + ": " + message;
  }
}
