package io.tollgate.rules.drools;

import com.github.javaparser.JavaParser;
import com.github.javaparser.ParseResult;
import com.github.javaparser.ParserConfiguration;
import com.github.javaparser.Position;
import com.github.javaparser.Problem;
import com.github.javaparser.ast.Node;
import com.github.javaparser.ast.expr.AnnotationExpr;
import com.github.javaparser.ast.expr.ClassExpr;
import com.github.javaparser.ast.expr.Expression;
import com.github.javaparser.ast.expr.FieldAccessExpr;
import com.github.javaparser.ast.expr.MethodCallExpr;
import com.github.javaparser.ast.expr.MethodReferenceExpr;
import com.github.javaparser.ast.expr.NameExpr;
import com.github.javaparser.ast.expr.ObjectCreationExpr;
import com.github.javaparser.ast.expr.SuperExpr;
import com.github.javaparser.ast.expr.ThisExpr;
import com.github.javaparser.ast.expr.TypeExpr;
import com.github.javaparser.ast.stmt.BlockStmt;
import com.github.javaparser.ast.stmt.ExpressionStmt;
import com.github.javaparser.ast.stmt.LocalClassDeclarationStmt;
import com.github.javaparser.ast.stmt.LocalRecordDeclarationStmt;
import com.github.javaparser.ast.stmt.SynchronizedStmt;
import com.github.javaparser.ast.type.ClassOrInterfaceType;
import com.github.javaparser.ast.type.Type;
import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code JavaCheck} checks the Java of one consequence or function body against {@link
 * DrlAllowList}: every type it names, every method it calls and every field it reads. Names are
 * resolved as the compiler will (a local variable hides a type, a type hides a package; see {@link
 * JavaScopes}), but without types: a call on a value is allowed if some allowed type has a method
 * of that name.
 */
final class JavaCheck {
  /** The variable a {@code modify} block's calls are made on, once rewritten for parsing. */
  static final String MODIFIED = "__modified";

  private static final Set<String> HELPERS = Set.of("drools", "kcontext");
  private static final ParserConfiguration CONFIG =
      new ParserConfiguration()
          .setLanguageLevel(ParserConfiguration.LanguageLevel.JAVA_17)
          .setAttributeComments(false)
          .setTabSize(1);

  private final DrlScope scope;
  private final DrlRefusals out;
  private final Set<String> outer;
  private final boolean consequence;
  private JavaSource src;

  private enum Kind {
    VALUE,
    HELPER,
    TYPE,
    PACKAGE,
    REFUSED
  }

  private record Ref(Kind kind, String name) {
    static final Ref VALUE = new Ref(Kind.VALUE, "");
    static final Ref REFUSED = new Ref(Kind.REFUSED, "");
  }

  private JavaCheck(DrlScope scope, DrlRefusals out, Set<String> outer, boolean consequence) {
    this.scope = scope;
    this.out = out;
    this.outer = new HashSet<>(outer);
    this.consequence = consequence;
    this.outer.add(MODIFIED);
    if (consequence) {
      this.outer.addAll(HELPERS);
    }
  }

  /**
   * Checks {@code code}, a block's statements found at {@code offset} in the file. {@code names}
   * are the variables it sees from outside (bindings, globals, parameters); a consequence also sees
   * {@code drools} and {@code kcontext}.
   */
  static void check(
      String code,
      int offset,
      DrlScope scope,
      Set<String> names,
      boolean consequence,
      DrlRefusals out) {
    new JavaCheck(scope, out, names, consequence).run(JavaSource.rewrite(code, offset));
  }

  /** Checks a type written in a declaration (a function's parameter, a global, a field). */
  static void checkType(String type, int offset, DrlScope scope, DrlRefusals out) {
    ParseResult<Type> r = new JavaParser(CONFIG).parseType(type);
    if (!r.isSuccessful() || r.getResult().isEmpty()) {
      out.at(offset, "`" + type + "` is not a Java type");
      return;
    }
    JavaCheck c = new JavaCheck(scope, out, Set.of(), false);
    c.src = JavaSource.plain(type, offset);
    c.visit(r.getResult().get());
  }

  private void run(JavaSource s) {
    src = s;
    ParseResult<BlockStmt> r = new JavaParser(CONFIG).parseBlock(s.text());
    if (!r.isSuccessful() || r.getResult().isEmpty()) {
      Problem p = r.getProblems().isEmpty() ? null : r.getProblems().get(0);
      int at =
          p == null
              ? s.offset(1, 1)
              : p.getLocation()
                  .flatMap(l -> l.getBegin().getRange())
                  .map(x -> s.offset(x.begin.line, x.begin.column))
                  .orElse(s.offset(1, 1));
      String why = p == null ? "" : ": " + p.getMessage().lines().findFirst().orElse("");
      out.at(at, "this Java could not be read, so it cannot be checked" + why);
      return;
    }
    visit(r.getResult().get());
  }

  private int at(Node n) {
    Position p = n.getBegin().orElse(new Position(1, 1));
    return src.offset(p.line, p.column);
  }

  private void visit(Node n) {
    if (n instanceof ClassOrInterfaceType t) {
      type(t);
    } else if (n instanceof ClassExpr c) {
      out.notAllowed(at(c), c + " (class literals lead to reflection)");
    } else if (n instanceof ThisExpr || n instanceof SuperExpr) {
      out.notAllowed(at(n), n.toString());
    } else if (n instanceof LocalClassDeclarationStmt || n instanceof LocalRecordDeclarationStmt) {
      out.at(at(n), "a rule may not declare classes; use declare for a fact type");
    } else if (n instanceof SynchronizedStmt) {
      out.notAllowed(at(n), "synchronized");
    } else if (n instanceof ObjectCreationExpr o) {
      if (o.getAnonymousClassBody().isPresent() || o.getScope().isPresent()) {
        out.at(at(o), "a rule may not declare classes (anonymous or inner)");
        return;
      }
      n.getChildNodes().forEach(this::visit);
    } else if (n instanceof MethodCallExpr m) {
      call(m);
    } else if (n instanceof NameExpr || n instanceof FieldAccessExpr) {
      Ref r = ref((Expression) n);
      if (r.kind() == Kind.PACKAGE) {
        out.notAllowed(at(n), r.name());
      } else if (r.kind() == Kind.HELPER) {
        out.notAllowed(at(n), r.name() + " as a value");
      }
    } else if (n instanceof MethodReferenceExpr m) {
      reference(m);
    } else if (!(n instanceof AnnotationExpr)) {
      n.getChildNodes().forEach(this::visit);
    }
  }

  private void type(ClassOrInterfaceType t) {
    if (t.getParentNode().orElse(null) instanceof ClassOrInterfaceType p
        && p.getScope().orElse(null) == t) {
      return; // the outer type is checked with its scope
    }
    String dotted = t.getNameWithScope();
    DrlScope.Resolved r = scope.qualified(dotted);
    if (r == null) {
      out.notAllowed(at(t), dotted);
    } else if (!r.allowed()) {
      out.notAllowed(at(t), r.name());
    }
    for (ClassOrInterfaceType s = t; s != null; s = s.getScope().orElse(null)) {
      s.getTypeArguments().ifPresent(args -> args.forEach(this::visit));
    }
  }

  /** What a name or a dotted name is: a value, a type, the start of a package, a helper. */
  private Ref ref(Expression e) {
    if (e instanceof NameExpr n) {
      String id = n.getNameAsString();
      if (outer.contains(id) || JavaScopes.declaredAbove(n, id)) {
        return consequence && HELPERS.contains(id) ? new Ref(Kind.HELPER, id) : Ref.VALUE;
      }
      DrlScope.Resolved r = scope.simple(id);
      if (r == null) {
        return new Ref(Kind.PACKAGE, id);
      }
      if (!r.allowed()) {
        out.notAllowed(at(n), r.name());
        return Ref.REFUSED;
      }
      return new Ref(Kind.TYPE, r.name());
    }
    if (!(e instanceof FieldAccessExpr f)) {
      visit(e);
      return Ref.VALUE;
    }
    Ref s = ref(f.getScope());
    String x = f.getNameAsString();
    f.getTypeArguments().ifPresent(args -> args.forEach(this::visit));
    switch (s.kind()) {
      case VALUE:
        if (!DrlAllowList.field(x)) {
          out.notAllowed(at(f), "." + x);
          return Ref.REFUSED;
        }
        return Ref.VALUE;
      case TYPE:
        String nested = s.name() + "." + x;
        if (scope.allowed(nested)) {
          return new Ref(Kind.TYPE, nested);
        }
        Class<?> c = DrlScope.allowedClass(s.name());
        if (c != null && DrlAllowList.staticField(c, x)) {
          return Ref.VALUE;
        }
        out.notAllowed(at(f), nested);
        return Ref.REFUSED;
      case PACKAGE:
        String q = s.name() + "." + x;
        if (scope.allowed(q)) {
          return new Ref(Kind.TYPE, q);
        }
        if (DrlScope.exists(q)) {
          out.notAllowed(at(f), q);
          return Ref.REFUSED;
        }
        return new Ref(Kind.PACKAGE, q);
      case HELPER:
        out.notAllowed(at(f), s.name() + "." + x);
        return Ref.REFUSED;
      default:
        return Ref.REFUSED;
    }
  }

  private void call(MethodCallExpr m) {
    m.getTypeArguments().ifPresent(args -> args.forEach(this::visit));
    m.getArguments().forEach(this::visit);
    String name = m.getNameAsString();
    if (m.getScope().isEmpty()) {
      if (consequence && DrlAllowList.HELPER_CALLS.contains(name)) {
        statement(m, name);
      } else if (!scope.functions().contains(name)) {
        out.notAllowed(at(m), name + "(...) (not a function of this policy's DRL)");
      }
      return;
    }
    Expression target = m.getScope().get();
    Ref r =
        target instanceof NameExpr || target instanceof FieldAccessExpr
            ? ref(target)
            : value(target);
    switch (r.kind()) {
      case HELPER:
        if (DrlAllowList.HELPER_CALLS.contains(name)) {
          statement(m, r.name() + "." + name);
        } else if (!name.equals("getRule") || !ruleName(m.getParentNode().orElse(null), m)) {
          out.notAllowed(at(m), r.name() + "." + name + "(...)");
        }
        return;
      case VALUE:
        if (target instanceof MethodCallExpr inner && isGetRule(inner)) {
          return; // drools.getRule().getName(), checked with getRule
        }
        if (!DrlAllowList.method(name) && !scope.declared().accessor(name)) {
          out.notAllowed(at(m), "." + name + "(...)");
        }
        return;
      case TYPE:
        Class<?> c = DrlScope.allowedClass(r.name());
        if (c == null || !DrlAllowList.staticMethod(c, name)) {
          out.notAllowed(at(m), r.name() + "." + name + "(...)");
        }
        return;
      case PACKAGE:
        out.notAllowed(at(m), r.name());
        return;
      default:
    }
  }

  private Ref value(Expression e) {
    visit(e);
    return Ref.VALUE;
  }

  private static boolean isGetRule(MethodCallExpr m) {
    return m.getNameAsString().equals("getRule")
        && m.getArguments().isEmpty()
        && m.getScope().orElse(null) instanceof NameExpr n
        && HELPERS.contains(n.getNameAsString());
  }

  /** {@code drools.getRule()} may be asked its name and package, nothing else. */
  private static boolean ruleName(Node parent, MethodCallExpr getRule) {
    return parent instanceof MethodCallExpr p
        && p.getScope().orElse(null) == getRule
        && getRule.getArguments().isEmpty()
        && p.getArguments().isEmpty()
        && Set.of("getName", "getPackageName").contains(p.getNameAsString());
  }

  /** Fact handles stay inside Drools: insert, update and delete are statements of their own. */
  private void statement(MethodCallExpr m, String what) {
    if (!(m.getParentNode().orElse(null) instanceof ExpressionStmt)) {
      out.at(at(m), what + "(...) may only be used as a statement of its own");
    }
  }

  private void reference(MethodReferenceExpr m) {
    String name = m.getIdentifier();
    Expression target = m.getScope();
    Ref r;
    if (target instanceof TypeExpr t
        && t.getType() instanceof ClassOrInterfaceType c
        && c.getScope().isEmpty()
        && (outer.contains(c.getNameAsString())
            || JavaScopes.declaredAbove(m, c.getNameAsString()))) {
      // drools::x, list::add: a variable, not a type
      String id = c.getNameAsString();
      r =
          consequence && HELPERS.contains(id) && !JavaScopes.declaredAbove(m, id)
              ? new Ref(Kind.HELPER, id)
              : Ref.VALUE;
    } else if (target instanceof TypeExpr t) {
      visit(t.getType());
      r =
          t.getType() instanceof ClassOrInterfaceType c
                  && scope.qualified(c.getNameWithScope()) != null
              ? new Ref(Kind.TYPE, scope.qualified(c.getNameWithScope()).name())
              : Ref.REFUSED;
    } else if (target instanceof NameExpr || target instanceof FieldAccessExpr) {
      r = ref(target);
    } else {
      r = value(target);
    }
    if (r.kind() == Kind.VALUE && !DrlAllowList.method(name)) {
      out.notAllowed(at(m), "::" + name);
    } else if (r.kind() == Kind.TYPE && !name.equals("new") && !anyMethod(r.name(), name)) {
      out.notAllowed(at(m), r.name() + "::" + name);
    } else if (r.kind() == Kind.PACKAGE || r.kind() == Kind.HELPER) {
      out.notAllowed(at(m), r.name() + "::" + name);
    }
  }

  private boolean anyMethod(String type, String name) {
    if (DrlAllowList.FORBIDDEN_MEMBERS.contains(name)) {
      return false;
    }
    Class<?> c = DrlScope.allowedClass(type);
    if (c == null) {
      return scope.declared().accessor(name);
    }
    for (Method m : c.getMethods()) {
      if (m.getName().equals(name)) {
        return true;
      }
    }
    return false;
  }
}
