package io.tollgate.rules.drools;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.drools.drl.ast.descr.AccumulateDescr;
import org.drools.drl.ast.descr.AndDescr;
import org.drools.drl.ast.descr.AttributeDescr;
import org.drools.drl.ast.descr.BaseDescr;
import org.drools.drl.ast.descr.CollectDescr;
import org.drools.drl.ast.descr.ConditionalBranchDescr;
import org.drools.drl.ast.descr.EntryPointDescr;
import org.drools.drl.ast.descr.EvalDescr;
import org.drools.drl.ast.descr.ExistsDescr;
import org.drools.drl.ast.descr.ExprConstraintDescr;
import org.drools.drl.ast.descr.ForallDescr;
import org.drools.drl.ast.descr.FromDescr;
import org.drools.drl.ast.descr.MVELExprDescr;
import org.drools.drl.ast.descr.NamedConsequenceDescr;
import org.drools.drl.ast.descr.NotDescr;
import org.drools.drl.ast.descr.OrDescr;
import org.drools.drl.ast.descr.PatternDescr;
import org.drools.drl.ast.descr.PatternSourceDescr;
import org.drools.drl.ast.descr.QueryDescr;
import org.drools.drl.ast.descr.RuleDescr;

/**
 * {@code DrlRuleCheck} checks one rule or query for {@link DrlSandbox}: its attributes, every
 * condition element of its {@code when} (patterns, their constraints and sources, {@code eval},
 * accumulate), and its consequences.
 */
final class DrlRuleCheck {
  private static final Set<String> UNSUPPORTED_ATTRIBUTES =
      Set.of("timer", "calendars", "duration");

  private final RuleDescr rule;
  private final DrlScope scope;
  private final DrlRefusals out;
  private final Set<String> names = new LinkedHashSet<>();
  private ExprCheck expr;

  DrlRuleCheck(RuleDescr rule, DrlScope scope, DrlRefusals out, Set<String> globals) {
    this.rule = rule;
    this.scope = scope;
    this.out = out;
    names.addAll(globals);
  }

  void check() {
    boolean query = rule instanceof QueryDescr;
    out.in((query ? "query \"" : "rule \"") + rule.getName() + "\"", query ? "a query" : "a rule");
    int start = at(rule);
    if (rule instanceof QueryDescr q) {
      for (int i = 0; i < q.getParameterTypes().length; i++) {
        String type = q.getParameterTypes()[i];
        JavaCheck.checkType(type, out.find(type, start), scope, out);
        names.add(q.getParameters()[i]);
      }
    }
    collect(rule.getLhs());
    for (String b : names) {
      if (scope.simple(b) != null) {
        out.at(start, "the binding `" + b + "` has the name of a type; rename it");
      }
    }
    expr = new ExprCheck(scope, names, out);
    attributes(start);
    walk(rule.getLhs(), start);
    if (rule.getConsequence() instanceof String code && !query) {
      int then = out.offset(rule.getConsequenceLine(), rule.getConsequencePattern());
      JavaCheck.check(code, out.find(code, then), scope, names, true, out);
    }
    for (Map.Entry<String, Object> named : rule.getNamedConsequences().entrySet()) {
      if (named.getValue() instanceof String code) {
        JavaCheck.check(code, out.find(code, start), scope, names, true, out);
      }
    }
  }

  private int at(BaseDescr d) {
    return d.getStartCharacter() >= 0
        ? d.getStartCharacter()
        : out.offset(d.getLine(), d.getColumn());
  }

  private void attributes(int start) {
    for (AttributeDescr a : rule.getAttributes().values()) {
      String value = a.getValue() == null ? "" : a.getValue().strip();
      int where = at(a) >= 0 ? at(a) : start;
      switch (a.getName()) {
        case "dialect":
          if (!value.equals("java")) {
            out.at(
                where,
                "dialect \""
                    + value
                    + "\" is not allowed: only Java consequences are checked (DRL's default"
                    + " dialect)");
          }
          break;
        case "salience":
        case "enabled":
          if (!value.matches("-?\\d+|true|false")) {
            expr.check(value, out.find(value, where), null);
          }
          break;
        default:
          if (UNSUPPORTED_ATTRIBUTES.contains(a.getName())) {
            out.at(
                where, a.getName() + " is not supported: a check's session lives for one request");
          }
      }
    }
  }

  /** Collects the names the conditions bind, for the consequence and the constraints. */
  private void collect(BaseDescr d) {
    if (d instanceof PatternDescr p) {
      if (p.getIdentifier() != null) {
        names.add(p.getIdentifier());
      }
      for (BaseDescr c : p.getDescrs()) {
        if (c instanceof ExprConstraintDescr e) {
          names.addAll(ExprCheck.bindings(e.getExpression()));
        }
      }
      if (p.getSource() != null) {
        collect(p.getSource());
      }
    } else if (d instanceof AccumulateDescr a) {
      for (AccumulateDescr.AccumulateFunctionCallDescr f : a.getFunctions()) {
        if (f.getBind() != null) {
          names.add(f.getBind());
        }
      }
      a.getDescrs().forEach(this::collect);
    } else if (d instanceof CollectDescr c) {
      c.getDescrs().forEach(this::collect);
    } else if (d instanceof AndDescr
        || d instanceof OrDescr
        || d instanceof NotDescr
        || d instanceof ExistsDescr
        || d instanceof ForallDescr) {
      ((org.drools.drl.ast.descr.ConditionalElementDescr) d)
          .getDescrs()
          .forEach(x -> collect((BaseDescr) x));
    }
  }

  private void walk(BaseDescr d, int near) {
    if (d instanceof PatternDescr p) {
      pattern(p);
    } else if (d instanceof EvalDescr e) {
      String content = String.valueOf(e.getContent());
      expr.check(content, out.find(content, at(e)), null);
    } else if (d instanceof ConditionalBranchDescr b) {
      walk(b.getCondition(), at(b));
      if (b.getElseBranch() != null) {
        walk(b.getElseBranch(), at(b));
      }
    } else if (d instanceof NamedConsequenceDescr) {
      return; // do[name]: the consequence is checked with the rule's
    } else if (d instanceof AndDescr
        || d instanceof OrDescr
        || d instanceof NotDescr
        || d instanceof ExistsDescr
        || d instanceof ForallDescr) {
      for (Object x : ((org.drools.drl.ast.descr.ConditionalElementDescr) d).getDescrs()) {
        walk((BaseDescr) x, near);
      }
    } else if (d != null) {
      out.at(at(d) >= 0 ? at(d) : near, unsupported(d));
    }
  }

  private void pattern(PatternDescr p) {
    int start = at(p);
    String typeName = p.getObjectType() == null ? "" : p.getObjectType().strip();
    DrlScope.Resolved r = typeName.isEmpty() ? null : scope.qualified(typeName);
    Object fact = null;
    if (r == null || !r.allowed()) {
      out.notAllowed(out.find(typeName, start), r == null ? typeName : r.name());
    } else {
      Class<?> c = DrlScope.allowedClass(r.name());
      fact = c != null ? c : r.name();
    }
    if (!p.getBehaviors().isEmpty()) {
      out.at(
          start,
          "windows (over window:...) are not supported: a check's session holds one request");
    }
    for (BaseDescr c : p.getDescrs()) {
      if (c instanceof ExprConstraintDescr e) {
        String text = e.getExpression();
        int at = e.getStartCharacter();
        if (at < 0 || !out.source().startsWith(text, at)) {
          at = out.find(text, start);
        }
        expr.check(text, at, fact);
      } else {
        out.at(at(c) >= 0 ? at(c) : start, unsupported(c));
      }
    }
    PatternSourceDescr source = p.getSource();
    if (source instanceof FromDescr f) {
      if (f.getDataSource() instanceof MVELExprDescr m) {
        expr.check(m.getExpression(), out.find(m.getExpression(), start), null);
      } else {
        out.at(start, unsupported(f));
      }
    } else if (source instanceof AccumulateDescr a) {
      accumulate(a, start);
    } else if (source instanceof CollectDescr c) {
      c.getDescrs().forEach(x -> walk(x, start));
    } else if (source != null && !(source instanceof EntryPointDescr)) {
      out.at(start, unsupported(source));
    }
  }

  private void accumulate(AccumulateDescr a, int near) {
    if (a.getInitCode() != null
        || a.getActionCode() != null
        || a.getReverseCode() != null
        || a.getResultCode() != null) {
      out.at(
          at(a) >= 0 ? at(a) : near,
          "accumulate with init/action/result code is not supported; use an accumulate function"
              + " (count, sum, min, max, average, collectList, collectSet)");
    }
    for (AccumulateDescr.AccumulateFunctionCallDescr f : a.getFunctions()) {
      for (String param : f.getParams()) {
        expr.check(param, out.find(param, at(a) >= 0 ? at(a) : near), null);
      }
    }
    a.getDescrs().forEach(x -> walk(x, near));
  }

  private static String unsupported(BaseDescr d) {
    String kind = d.getClass().getSimpleName().replace("Descr", "");
    return "this DRL element (" + kind + ") is not supported in a checked rule";
  }
}
