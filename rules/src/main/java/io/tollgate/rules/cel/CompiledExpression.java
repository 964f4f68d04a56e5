package io.tollgate.rules.cel;

import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import io.tollgate.adapter.spi.Attributes;

/**
 * {@code CompiledExpression} is a type-checked CEL program, ready to evaluate. Immutable and
 * thread-safe.
 */
public final class CompiledExpression {
  private final String text;
  private final CelRuntime.Program program;
  private final Guards guards;

  CompiledExpression(String text, CelRuntime.Program program, Guards guards) {
    this.text = text;
    this.program = program;
    this.guards = guards;
  }

  /** The source text. */
  public String text() {
    return text;
  }

  /**
   * Evaluates against a request. Maps are returned as {@code java.util.Map}, integers as {@link
   * Long}, timestamps as {@link java.time.Instant}.
   *
   * @throws CelEvaluationException for a runtime error, e.g. a missing map key
   */
  public Object eval(Attributes attributes) throws CelEvaluationException {
    return program.eval(AttributeResolver.of(attributes));
  }

  /**
   * Evaluates a boolean expression; a runtime error propagates. Simple string conjuncts ({@link
   * Guards}) are checked first, and when one is false the program does not run.
   */
  public boolean test(Attributes attributes) throws CelEvaluationException {
    return guards.mayHold(attributes) && Boolean.TRUE.equals(eval(attributes));
  }

  /**
   * For a boolean expression: attribute name to string values its simple conjuncts compare the
   * attribute with, values for which those conjuncts hold ({@code attr == "x"}, {@code attr in
   * [...]}, {@code attr.startsWith("x")}). A request carrying them may match; one without them
   * cannot. Empty when the expression has no such conjuncts.
   */
  public java.util.Map<String, java.util.List<String>> examples() {
    return guards.examples();
  }

  /** How many conjuncts are checked without CEL (for tests). */
  int guardCount() {
    return guards.size();
  }

  @Override
  public String toString() {
    return text;
  }
}
