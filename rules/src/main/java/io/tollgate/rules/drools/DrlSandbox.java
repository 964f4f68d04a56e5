package io.tollgate.rules.drools;

import io.tollgate.common.config.ConfigError;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.drools.drl.ast.descr.AbstractClassTypeDeclarationDescr;
import org.drools.drl.ast.descr.AccumulateImportDescr;
import org.drools.drl.ast.descr.AttributeDescr;
import org.drools.drl.ast.descr.EnumDeclarationDescr;
import org.drools.drl.ast.descr.EnumLiteralDescr;
import org.drools.drl.ast.descr.FunctionDescr;
import org.drools.drl.ast.descr.FunctionImportDescr;
import org.drools.drl.ast.descr.GlobalDescr;
import org.drools.drl.ast.descr.ImportDescr;
import org.drools.drl.ast.descr.PackageDescr;
import org.drools.drl.ast.descr.QualifiedName;
import org.drools.drl.ast.descr.RuleDescr;
import org.drools.drl.ast.descr.TypeDeclarationDescr;
import org.drools.drl.ast.descr.TypeFieldDescr;
import org.drools.drl.parser.DrlParser;
import org.drools.drl.parser.DroolsParserException;

/**
 * {@code DrlSandbox} keeps DRL away from the file system, the network, processes, reflection and
 * the JVM's lifecycle: before Drools compiles a policy's {@code .drl} files, it reads them with
 * Drools' own parser and refuses, with its file, line and column, anything that names a type or
 * calls a method outside {@link DrlAllowList}: imports, globals, declared types, functions,
 * conditions ({@link ExprCheck}) and consequences ({@link JavaCheck}). Only the Java dialect is
 * accepted, since only Java consequences are checked.
 *
 * <p>The Java platform offers no sandbox for code in the server's own JVM (the SecurityManager is
 * gone, and a class loader cannot hide {@code java.lang} or {@code java.io}), so the check is made
 * on the source, before any of it is compiled.
 */
public final class DrlSandbox {
  private DrlSandbox() {}

  /**
   * Checks every file ({@code name -> DRL text}) and returns what it refuses, located. A file that
   * does not parse is left to the compiler, which reports its syntax errors as it always has.
   */
  public static List<ConfigError> check(Map<String, String> sources) {
    Map<String, PackageDescr> parsed = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      DrlParser parser = new DrlParser();
      try {
        PackageDescr pd = parser.parse(false, e.getValue());
        if (pd != null && !parser.hasErrors()) {
          parsed.put(e.getKey(), pd);
        }
      } catch (DroolsParserException ex) {
        // the compiler reports it
      }
    }
    DrlDeclared declared = new DrlDeclared();
    Set<String> functions = new HashSet<>();
    Map<String, Set<String>> globals = new HashMap<>();
    for (PackageDescr pd : parsed.values()) {
      for (AbstractClassTypeDeclarationDescr t : pd.getClassAndEnumDeclarationDescrs()) {
        String name = typeName(pd, t);
        if (!DrlScope.exists(name)) {
          String superType =
              t.getSuperTypes().isEmpty() ? null : t.getSuperTypes().get(0).getFullName();
          declared.add(name, superType, t.getFields().keySet());
        }
      }
      pd.getFunctions().forEach(f -> functions.add(f.getName()));
      pd.getGlobals()
          .forEach(
              g ->
                  globals
                      .computeIfAbsent(pd.getName(), k -> new HashSet<>())
                      .add(g.getIdentifier()));
    }
    List<ConfigError> errors = new ArrayList<>();
    for (Map.Entry<String, PackageDescr> e : parsed.entrySet()) {
      PackageDescr pd = e.getValue();
      DrlRefusals out = new DrlRefusals(e.getKey(), sources.get(e.getKey()), errors);
      DrlScope scope = scope(pd, declared, functions);
      Set<String> names = globals.getOrDefault(pd.getName(), Set.of());
      new DrlSandbox.File(pd, scope, out, names).check();
    }
    return List.copyOf(new LinkedHashSet<>(errors));
  }

  private static String typeName(PackageDescr pd, AbstractClassTypeDeclarationDescr t) {
    String n = t.getTypeName();
    return n.contains(".") || pd.getName().isEmpty() ? n : pd.getName() + "." + n;
  }

  private static DrlScope scope(PackageDescr pd, DrlDeclared declared, Set<String> functions) {
    Map<String, String> imports = new HashMap<>();
    List<String> stars = new ArrayList<>();
    for (ImportDescr i : pd.getImports()) {
      String target = i.getTarget().strip();
      if (target.endsWith(".*")) {
        stars.add(target.substring(0, target.length() - 2));
      } else {
        imports.put(target.substring(target.lastIndexOf('.') + 1), target);
      }
    }
    return new DrlScope(pd.getName(), imports, stars, declared, functions);
  }

  /** The checks of one file. */
  private static final class File {
    private final PackageDescr pd;
    private final DrlScope scope;
    private final DrlRefusals out;
    private final Set<String> globals;

    File(PackageDescr pd, DrlScope scope, DrlRefusals out, Set<String> globals) {
      this.pd = pd;
      this.scope = scope;
      this.out = out;
      this.globals = globals;
    }

    void check() {
      AttributeDescr dialect = pd.getAttribute("dialect");
      if (dialect != null) {
        dialect(dialect.getValue(), at(dialect));
      }
      for (ImportDescr i : pd.getImports()) {
        importOf(i);
      }
      for (FunctionImportDescr i : pd.getFunctionImports()) {
        functionImport(i);
      }
      for (AccumulateImportDescr i : pd.getAccumulateImports()) {
        out.notAllowed(at(i), "import accumulate " + i.getTarget());
      }
      if (!pd.getWindowDeclarations().isEmpty()) {
        out.at(
            at(pd.getWindowDeclarations().iterator().next()),
            "declare window is not supported: a check's session holds one request");
      }
      for (GlobalDescr g : pd.getGlobals()) {
        out.in("global " + g.getIdentifier(), "a global");
        JavaCheck.checkType(g.getType(), out.find(g.getType(), g.getStartCharacter()), scope, out);
      }
      for (AbstractClassTypeDeclarationDescr t : pd.getClassAndEnumDeclarationDescrs()) {
        declaration(t);
      }
      for (FunctionDescr f : pd.getFunctions()) {
        function(f);
      }
      for (RuleDescr r : pd.getRules()) {
        new DrlRuleCheck(r, scope, out, globals).check();
      }
    }

    private int at(org.drools.drl.ast.descr.BaseDescr d) {
      return d.getStartCharacter() >= 0
          ? d.getStartCharacter()
          : out.offset(d.getLine(), d.getColumn());
    }

    private void dialect(String value, int at) {
      if (value != null && !value.equals("java")) {
        out.at(
            at,
            "dialect \""
                + value
                + "\" is not allowed: only Java consequences are checked (DRL's default dialect)");
      }
    }

    private void importOf(ImportDescr i) {
      out.in("", "DRL");
      String target = i.getTarget().strip();
      boolean ok;
      if (target.endsWith(".*")) {
        String prefix = target.substring(0, target.length() - 2);
        ok = DrlAllowList.PACKAGES.contains(prefix) || scope.allowed(prefix) || declaresIn(prefix);
      } else {
        ok = scope.allowed(target);
      }
      if (!ok) {
        out.notAllowed(out.find(target, at(i)), target);
      }
    }

    private boolean declaresIn(String pkg) {
      return scope.declared().packages().contains(pkg);
    }

    private void functionImport(FunctionImportDescr i) {
      out.in("", "DRL");
      String target = i.getTarget().strip();
      int dot = target.lastIndexOf('.');
      Class<?> c = dot < 0 ? null : DrlScope.allowedClass(target.substring(0, dot));
      if (c == null || !DrlAllowList.staticMethod(c, target.substring(dot + 1))) {
        out.notAllowed(out.find(target, at(i)), "import function " + target);
      }
    }

    private void declaration(AbstractClassTypeDeclarationDescr t) {
      String name = typeName(pd, t);
      out.in("declare " + t.getTypeName(), "a declared type");
      if (t instanceof TypeDeclarationDescr td && td.isTrait()) {
        out.at(at(t), "declare trait is not supported");
      }
      if (DrlScope.exists(name) && !scope.allowed(name)) {
        out.notAllowed(at(t), name);
      }
      for (QualifiedName s : t.getSuperTypes()) {
        String full = s.getFullName();
        DrlScope.Resolved r = scope.qualified(full);
        if (r == null || !r.allowed()) {
          out.notAllowed(out.find(s.getName(), at(t)), r == null ? full : r.name());
        }
      }
      ExprCheck init = new ExprCheck(scope, Set.of(), out);
      for (TypeFieldDescr f : t.getFields().values()) {
        String type = f.getPattern() == null ? null : f.getPattern().getObjectType();
        int fieldAt = at(f);
        if (type != null) {
          JavaCheck.checkType(type, out.find(type, fieldAt), scope, out);
        }
        if (f.getInitExpr() != null) {
          init.check(f.getInitExpr(), out.find(f.getInitExpr(), fieldAt), null);
        }
      }
      if (t instanceof EnumDeclarationDescr e) {
        for (EnumLiteralDescr l : e.getLiterals()) {
          for (String arg : l.getConstructorArgs()) {
            init.check(arg, out.find(arg, at(l)), null);
          }
        }
      }
    }

    private void function(FunctionDescr f) {
      out.in("function " + f.getName(), "a function");
      int start = at(f);
      dialect(f.getDialect(), start);
      if (f.getReturnType() != null) {
        JavaCheck.checkType(f.getReturnType(), out.find(f.getReturnType(), start), scope, out);
      }
      Set<String> params = new LinkedHashSet<>(globals);
      for (int i = 0; i < f.getParameterTypes().size(); i++) {
        String type = f.getParameterTypes().get(i);
        JavaCheck.checkType(type, out.find(type, start), scope, out);
        params.add(f.getParameterNames().get(i));
      }
      String body = f.getBody() == null ? "" : f.getBody();
      int open = out.source().indexOf('{', Math.max(start, 0));
      JavaCheck.check(body, out.find(body, open), scope, params, false, out);
    }
  }
}
