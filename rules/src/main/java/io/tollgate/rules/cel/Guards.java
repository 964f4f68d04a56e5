package io.tollgate.rules.cel;

import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code Guards} are the simple conjuncts of a boolean expression, checked in plain Java before the
 * CEL program runs. An expression {@code a && b && c} is false as soon as one conjunct is false,
 * whatever the others evaluate to (CEL's {@code &&} absorbs errors when a side is false), so when a
 * guard says false the program need not run. Guards recognize a string attribute compared with
 * literals: {@code attr == "x"}, {@code "x" == attr}, {@code attr in ["x", "y"]}, {@code
 * attr.startsWith("x")}. An absent attribute reads as {@code ""}, as it does in CEL. Most rules are
 * scoped this way (a host, a method, a path prefix), so most rules are ruled out for a request
 * without running CEL. Immutable.
 */
final class Guards {
  static final Guards NONE = new Guards(List.of());

  /**
   * One conjunct: a string attribute and what its value must satisfy.
   *
   * @param examples values that satisfy it
   */
  private record Guard(String attribute, List<String> examples, Predicate<String> test) {
    boolean holds(Attributes a) {
      return test.test(valueOf(a, attribute));
    }
  }

  private final List<Guard> guards;

  private Guards(List<Guard> guards) {
    this.guards = List.copyOf(guards);
  }

  /** False when some guard rules the expression out; true means: run the program. */
  boolean mayHold(Attributes a) {
    for (Guard g : guards) {
      if (!g.holds(a)) {
        return false;
      }
    }
    return true;
  }

  int size() {
    return guards.size();
  }

  /**
   * Attribute name to values for which its guards hold: a request that carries the first value of
   * each gets past every guard (an attribute with two guards gets the values of the first).
   */
  Map<String, List<String>> examples() {
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (Guard g : guards) {
      if (!g.examples().isEmpty()) { // `in []`: nothing holds
        m.putIfAbsent(g.attribute(), g.examples());
      }
    }
    return m;
  }

  /** The guards of a type-checked boolean expression. */
  static Guards of(CelExpr root) {
    List<CelExpr> conjuncts = new ArrayList<>();
    flatten(root, conjuncts);
    List<Guard> out = new ArrayList<>();
    for (CelExpr c : conjuncts) {
      Guard g = guard(c);
      if (g != null) {
        out.add(g);
      }
    }
    return out.isEmpty() ? NONE : new Guards(out);
  }

  private static void flatten(CelExpr e, List<CelExpr> out) {
    if (e.exprKind().getKind() == CelExpr.ExprKind.Kind.CALL
        && e.call().function().equals("_&&_")
        && e.call().target().isEmpty()) {
      for (CelExpr arg : e.call().args()) {
        flatten(arg, out);
      }
    } else {
      out.add(e);
    }
  }

  private static Guard guard(CelExpr e) {
    if (e.exprKind().getKind() != CelExpr.ExprKind.Kind.CALL) {
      return null;
    }
    CelExpr.CelCall call = e.call();
    List<CelExpr> args = call.args();
    switch (call.function()) {
      case "_==_" -> {
        String attr = stringAttribute(args.get(0));
        String lit = literal(args.get(1));
        if (attr == null || lit == null) {
          attr = stringAttribute(args.get(1));
          lit = literal(args.get(0));
        }
        if (attr == null || lit == null) {
          return null;
        }
        String value = lit;
        return new Guard(attr, List.of(value), value::equals);
      }
      case "@in" -> {
        String attr = stringAttribute(args.get(0));
        if (attr == null || args.get(1).exprKind().getKind() != CelExpr.ExprKind.Kind.LIST) {
          return null;
        }
        List<String> values = new ArrayList<>();
        for (CelExpr el : args.get(1).list().elements()) {
          String lit = literal(el);
          if (lit == null) {
            return null;
          }
          values.add(lit);
        }
        Set<String> set = Set.copyOf(values);
        return new Guard(attr, List.copyOf(values), set::contains);
      }
      case "startsWith" -> {
        if (call.target().isEmpty() || args.size() != 1) {
          return null;
        }
        String attr = stringAttribute(call.target().get());
        String prefix = literal(args.get(0));
        if (attr == null || prefix == null) {
          return null;
        }
        return new Guard(attr, List.of(prefix), v -> v.startsWith(prefix));
      }
      default -> {
        return null;
      }
    }
  }

  private static String valueOf(Attributes a, String name) {
    Object v = a.get(name);
    return v instanceof String s ? s : "";
  }

  /** The attribute name if {@code e} is a string attribute of the vocabulary, else null. */
  private static String stringAttribute(CelExpr e) {
    String name = qualifiedName(e);
    return name != null && Vocabulary.typeOf(name) == AttributeType.STRING ? name : null;
  }

  private static String qualifiedName(CelExpr e) {
    return switch (e.exprKind().getKind()) {
      case IDENT -> e.ident().name();
      case SELECT -> {
        if (e.select().testOnly()) {
          yield null;
        }
        String operand = qualifiedName(e.select().operand());
        yield operand == null ? null : operand + "." + e.select().field();
      }
      default -> null;
    };
  }

  private static String literal(CelExpr e) {
    return e.exprKind().getKind() == CelExpr.ExprKind.Kind.CONSTANT
            && e.constant().getKind() == CelConstant.Kind.STRING_VALUE
        ? e.constant().stringValue()
        : null;
  }
}
