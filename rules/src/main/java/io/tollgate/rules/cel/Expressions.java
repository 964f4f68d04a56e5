package io.tollgate.rules.cel;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.adapter.spi.Vocabulary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code Expressions} compiles CEL over the attribute vocabulary. One instance serves a whole
 * policy load; compiling is thread-safe.
 *
 * <p>Attribute names are declared as dotted variables ({@code request.path}), the way Istio Mixer
 * declared them, so {@code request.path.startsWith("/admin")} type-checks against {@link
 * Vocabulary} and a misspelt name is an "undeclared reference" at load time.
 */
public final class Expressions {
  private static final CelOptions OPTIONS =
      CelOptions.current().enableHeterogeneousNumericComparisons(true).build();

  private final CelCompiler compiler;
  private final CelRuntime runtime;

  private Expressions(CelCompiler compiler, CelRuntime runtime) {
    this.compiler = compiler;
    this.runtime = runtime;
  }

  /** An environment with the standard CEL library, its macros and the whole vocabulary. */
  public static Expressions create() {
    var builder =
        CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(OPTIONS)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS);
    for (Map.Entry<String, AttributeType> e : Vocabulary.types().entrySet()) {
      builder.addVar(e.getKey(), celType(e.getValue()));
    }
    CelRuntime runtime = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(OPTIONS).build();
    return new Expressions(builder.build(), runtime);
  }

  /** The CEL type of an attribute type. */
  public static CelType celType(AttributeType t) {
    return switch (t) {
      case STRING -> SimpleType.STRING;
      case INT -> SimpleType.INT;
      case BOOL -> SimpleType.BOOL;
      case TIMESTAMP -> SimpleType.TIMESTAMP;
      case DURATION -> SimpleType.DURATION;
      case STRING_MAP -> MapType.create(SimpleType.STRING, SimpleType.STRING);
      case STRING_LIST -> ListType.create(SimpleType.STRING);
      case DYN_MAP -> MapType.create(SimpleType.STRING, SimpleType.DYN);
      case DYN -> SimpleType.DYN;
    };
  }

  /** The outcome of compiling one expression: a program, or the issues that prevent one. */
  public record Result(CompiledExpression expression, List<ExpressionIssue> issues) {
    public boolean ok() {
      return expression != null;
    }
  }

  /**
   * Parses, type-checks and plans {@code text}, requiring its result to have type {@code expected}
   * ({@code DYN} accepts anything).
   */
  public Result compile(String text, AttributeType expected) {
    if (text == null || text.isBlank()) {
      return new Result(null, List.of(new ExpressionIssue(1, 0, "expression is empty")));
    }
    CelValidationResult r = compiler.compile(text);
    if (r.hasError()) {
      List<ExpressionIssue> issues = new ArrayList<>();
      for (CelIssue i : r.getErrors()) {
        issues.add(
            new ExpressionIssue(
                Math.max(1, i.getSourceLocation().getLine()),
                i.getSourceLocation().getColumn() < 0 ? 0 : i.getSourceLocation().getColumn() + 1,
                i.getMessage()));
      }
      return new Result(null, issues);
    }
    try {
      CelAbstractSyntaxTree ast = r.getAst();
      CelType want = celType(expected);
      CelType got = ast.getResultType();
      if (!assignable(want, got)) {
        return new Result(
            null,
            List.of(
                new ExpressionIssue(
                    1,
                    1,
                    "expression has type " + got.name() + " but " + want.name() + " is required")));
      }
      Guards guards = expected == AttributeType.BOOL ? Guards.of(ast.getExpr()) : Guards.NONE;
      return new Result(
          new CompiledExpression(text, runtime.createProgram(ast), guards), List.of());
    } catch (CelValidationException | CelEvaluationException e) {
      return new Result(null, List.of(new ExpressionIssue(1, 0, e.getMessage())));
    }
  }

  private static boolean assignable(CelType want, CelType got) {
    if (want.kind() == CelKind.DYN || got.kind() == CelKind.DYN) {
      return true;
    }
    if (want.kind() != got.kind()) {
      return false;
    }
    if (want.parameters().size() != got.parameters().size()) {
      return want.parameters().isEmpty();
    }
    for (int i = 0; i < want.parameters().size(); i++) {
      if (!assignable(want.parameters().get(i), got.parameters().get(i))) {
        return false;
      }
    }
    return true;
  }
}
