package io.tollgate.rules.drools;

import com.github.javaparser.ast.Node;
import com.github.javaparser.ast.body.Parameter;
import com.github.javaparser.ast.body.VariableDeclarator;
import com.github.javaparser.ast.expr.BinaryExpr;
import com.github.javaparser.ast.expr.ConditionalExpr;
import com.github.javaparser.ast.expr.EnclosedExpr;
import com.github.javaparser.ast.expr.Expression;
import com.github.javaparser.ast.expr.InstanceOfExpr;
import com.github.javaparser.ast.expr.LambdaExpr;
import com.github.javaparser.ast.expr.TypePatternExpr;
import com.github.javaparser.ast.expr.VariableDeclarationExpr;
import com.github.javaparser.ast.stmt.BlockStmt;
import com.github.javaparser.ast.stmt.CatchClause;
import com.github.javaparser.ast.stmt.ExpressionStmt;
import com.github.javaparser.ast.stmt.ForEachStmt;
import com.github.javaparser.ast.stmt.ForStmt;
import com.github.javaparser.ast.stmt.IfStmt;
import com.github.javaparser.ast.stmt.Statement;
import com.github.javaparser.ast.stmt.SwitchEntry;
import com.github.javaparser.ast.stmt.TryStmt;
import java.util.List;

/**
 * {@code JavaScopes} answers whether a simple name in a consequence is a local variable there, as
 * the Java compiler would: declared earlier in an enclosing block, by an enclosing {@code for},
 * lambda, {@code catch} or try-with-resources, or by a pattern of an enclosing {@code instanceof}
 * that holds where the name is used. It errs only towards "not a variable": a name it does not find
 * is then checked as a type, and refused unless it is an allowed one.
 */
final class JavaScopes {
  private JavaScopes() {}

  static boolean declaredAbove(Node use, String id) {
    Node child = use;
    for (Node p = use.getParentNode().orElse(null);
        p != null;
        child = p, p = p.getParentNode().orElse(null)) {
      if (declaredBy(p, child, id)) {
        return true;
      }
    }
    return false;
  }

  private static boolean declaredBy(Node p, Node child, String id) {
    if (p instanceof BlockStmt b) {
      return before(b.getStatements(), child, id);
    }
    if (p instanceof SwitchEntry e) {
      return before(e.getStatements(), child, id);
    }
    if (p instanceof ForStmt f) {
      for (Expression init : f.getInitialization()) {
        if (init == child) {
          return false;
        }
        if (declares(init, id)) {
          return true;
        }
      }
      return false;
    }
    if (p instanceof ForEachStmt f) {
      return child == f.getBody() && declares(f.getVariable(), id);
    }
    if (p instanceof LambdaExpr l) {
      return child == l.getBody() && has(l.getParameters(), id);
    }
    if (p instanceof CatchClause c) {
      return child == c.getBody() && c.getParameter().getNameAsString().equals(id);
    }
    if (p instanceof TryStmt t) {
      if (child != t.getTryBlock() && !t.getResources().contains(child)) {
        return false;
      }
      for (Expression r : t.getResources()) {
        if (r == child) {
          return false;
        }
        if (declares(r, id)) {
          return true;
        }
      }
      return false;
    }
    if (p instanceof VariableDeclarationExpr v) {
      for (VariableDeclarator d : v.getVariables()) {
        if (d == child) {
          return false;
        }
        if (d.getNameAsString().equals(id)) {
          return true;
        }
      }
      return false;
    }
    if (p instanceof VariableDeclarator d) {
      return d.getInitializer().orElse(null) == child && d.getNameAsString().equals(id);
    }
    if (p instanceof IfStmt i) {
      return child == i.getThenStmt() && pattern(i.getCondition(), id);
    }
    if (p instanceof ConditionalExpr c) {
      return child == c.getThenExpr() && pattern(c.getCondition(), id);
    }
    if (p instanceof BinaryExpr b && b.getOperator() == BinaryExpr.Operator.AND) {
      return child == b.getRight() && pattern(b.getLeft(), id);
    }
    return false;
  }

  private static boolean before(List<Statement> statements, Node child, String id) {
    for (Statement s : statements) {
      if (s == child) {
        return false;
      }
      if (s instanceof ExpressionStmt e && declares(e.getExpression(), id)) {
        return true;
      }
    }
    return false;
  }

  private static boolean declares(Expression e, String id) {
    return e instanceof VariableDeclarationExpr v
        && v.getVariables().stream().anyMatch(d -> d.getNameAsString().equals(id));
  }

  private static boolean has(List<Parameter> params, String id) {
    return params.stream().anyMatch(p -> p.getNameAsString().equals(id));
  }

  /** Whether {@code cond} being true binds {@code id} by an {@code instanceof} pattern. */
  private static boolean pattern(Expression cond, String id) {
    Expression e = cond;
    while (e instanceof EnclosedExpr en) {
      e = en.getInner();
    }
    if (e instanceof InstanceOfExpr i) {
      return i.getPattern().orElse(null) instanceof TypePatternExpr t
          && t.getNameAsString().equals(id);
    }
    return e instanceof BinaryExpr b
        && b.getOperator() == BinaryExpr.Operator.AND
        && (pattern(b.getLeft(), id) || pattern(b.getRight(), id));
  }
}
