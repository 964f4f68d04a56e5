package io.tollgate.rules.drools;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntUnaryOperator;

/**
 * {@code ExprCheck} checks the MVEL-like expressions of a rule's conditions ({@code when}): the
 * constraints of a pattern, {@code eval(...)}, {@code from ...}, accumulate arguments, salience and
 * a declared field's initial value. It reads them as tokens: a word is an operator, a binding, a
 * property or method of the pattern's fact type, a function of the policy, or the start of a type
 * name, which must be on the allow-list; a word after a dot is a property or method, which some
 * allowed type must have.
 */
final class ExprCheck {
  private static final Set<String> KEYWORDS =
      Set.of(
          "in",
          "not",
          "matches",
          "contains",
          "excludes",
          "memberOf",
          "soundslike",
          "null",
          "true",
          "false",
          "instanceof",
          "isA",
          "empty",
          "nil",
          "this",
          "new");

  /** Operators that take parameters in brackets: {@code str[startsWith]}, {@code after[1s]}. */
  private static final Set<String> BRACKETED =
      Set.of(
          "str",
          "after",
          "before",
          "coincides",
          "during",
          "finishes",
          "finishedby",
          "includes",
          "meets",
          "metby",
          "overlaps",
          "overlappedby",
          "starts",
          "startedby");

  private record Token(String text, int start, boolean word) {}

  private final DrlScope scope;
  private final DrlRefusals out;
  private final Set<String> bindings;

  ExprCheck(DrlScope scope, Set<String> bindings, DrlRefusals out) {
    this.scope = scope;
    this.bindings = bindings;
    this.out = out;
  }

  /** The names {@code text} binds ({@code $p : path}, {@code $p := path}). */
  static List<String> bindings(String text) {
    List<String> names = new ArrayList<>();
    List<Token> t = tokens(text, i -> i);
    for (int i = 0; i + 1 < t.size(); i++) {
      String next = t.get(i + 1).text();
      if (t.get(i).word() && (next.equals(":") || next.equals(":="))) {
        names.add(t.get(i).text());
      }
    }
    return names;
  }

  /**
   * Checks {@code text}, found at {@code offset}, evaluated on a fact of {@code factType} (a class,
   * a declared type's canonical name, or {@code null} outside a pattern).
   */
  void check(String text, int offset, Object factType) {
    check(tokens(text, i -> offset + i), factType);
    if (text.contains("\\u")) {
      // eval(...) is compiled as Java, which decodes Unicode escapes first; MVEL does not.
      int[] from = new int[text.length()];
      String decoded = JavaSource.unescape(text, from);
      check(tokens(decoded, i -> offset + from[i]), factType);
    }
  }

  private void check(List<Token> t, Object factType) {
    for (int i = 0; i < t.size(); i++) {
      Token tok = t.get(i);
      if (!tok.word()) {
        continue;
      }
      String w = tok.text();
      String prev = i > 0 ? t.get(i - 1).text() : "";
      String next = i + 1 < t.size() ? t.get(i + 1).text() : "";
      boolean call = next.equals("(");
      if (prev.equals(".") || prev.equals("!.") || prev.equals(".?")) {
        member(tok, call);
      } else if (prev.equals("#") || prev.equals("new")) {
        i = typeName(t, i);
      } else if (next.equals(":") || next.equals(":=")) {
        continue; // a binding, checked where the rule's bindings are collected
      } else if (KEYWORDS.contains(w) || BRACKETED.contains(w)) {
        if (BRACKETED.contains(w) && next.equals("[")) {
          i = closing(t, i + 1);
        }
      } else if (bindings.contains(w)) {
        continue;
      } else if (call && (factMethod(factType, w) || scope.functions().contains(w))) {
        continue;
      } else if (call) {
        out.notAllowed(tok.start(), w + "(...) (not a method of the fact, nor a function)");
      } else if (!factProperty(factType, w)) {
        i = qualified(t, i);
      }
    }
  }

  private void member(Token tok, boolean call) {
    String w = tok.text();
    DrlDeclared d = scope.declared();
    boolean ok =
        call ? DrlAllowList.method(w) || d.accessor(w) : DrlAllowList.property(w) || d.field(w);
    if (!ok) {
      out.notAllowed(tok.start(), "." + w + (call ? "(...)" : ""));
    }
  }

  /** A type name after {@code new} or {@code #}; returns the index of its last word. */
  private int typeName(List<Token> t, int i) {
    StringBuilder name = new StringBuilder(t.get(i).text());
    int j = i;
    while (j + 2 < t.size() && t.get(j + 1).text().equals(".") && t.get(j + 2).word()) {
      name.append('.').append(t.get(j + 2).text());
      j += 2;
    }
    DrlScope.Resolved r = scope.qualified(name.toString());
    if (r == null || !r.allowed()) {
      out.notAllowed(t.get(i).start(), r == null ? name.toString() : r.name());
      return rest(t, j);
    }
    return j;
  }

  /**
   * A word that is no variable: a type, {@code Type.member} or a package's start. Returns the index
   * of the last word it took.
   */
  private int qualified(List<Token> t, int i) {
    Token first = t.get(i);
    DrlScope.Resolved r = scope.simple(first.text());
    if (r != null && !r.allowed()) {
      out.notAllowed(first.start(), r.name());
      return rest(t, i);
    }
    String cur = r == null ? first.text() : r.name();
    boolean type = r != null;
    int j = i;
    while (j + 2 < t.size() && t.get(j + 1).text().equals(".") && t.get(j + 2).word()) {
      String x = t.get(j + 2).text();
      String q = cur + "." + x;
      j += 2;
      if (scope.allowed(q)) {
        cur = q;
        type = true;
      } else if (type) {
        Class<?> c = DrlScope.allowedClass(cur);
        boolean call = j + 1 < t.size() && t.get(j + 1).text().equals("(");
        boolean ok =
            c != null && (call ? DrlAllowList.staticMethod(c, x) : DrlAllowList.staticField(c, x));
        if (!ok) {
          out.notAllowed(first.start(), q + (call ? "(...)" : ""));
          return rest(t, j);
        }
        return j;
      } else if (DrlScope.exists(q)) {
        out.notAllowed(first.start(), q);
        return rest(t, j);
      } else {
        cur = q;
      }
    }
    if (!type) {
      out.notAllowed(first.start(), cur);
      return rest(t, j);
    }
    return j;
  }

  /** Past the members that follow a refused name: one refusal says enough. */
  private static int rest(List<Token> t, int j) {
    while (j + 2 < t.size() && t.get(j + 1).text().equals(".") && t.get(j + 2).word()) {
      j += 2;
    }
    return j;
  }

  private static int closing(List<Token> t, int open) {
    for (int j = open; j < t.size(); j++) {
      if (t.get(j).text().equals("]")) {
        return j;
      }
    }
    return t.size();
  }

  private boolean factProperty(Object type, String name) {
    if (type instanceof String declared) {
      return scope.declared().fields(declared).contains(name);
    }
    if (!(type instanceof Class<?> c) || name.isEmpty()) {
      return false;
    }
    String cap = Character.toUpperCase(name.charAt(0)) + name.substring(1);
    for (Method m : c.getMethods()) {
      String n = m.getName();
      if (m.getParameterCount() == 0
          && !Modifier.isStatic(m.getModifiers())
          && (n.equals("get" + cap) || n.equals("is" + cap))) {
        return !DrlAllowList.FORBIDDEN_MEMBERS.contains(n);
      }
    }
    return false;
  }

  private boolean factMethod(Object type, String name) {
    if (DrlAllowList.FORBIDDEN_MEMBERS.contains(name)) {
      return false;
    }
    if (type instanceof String) {
      return scope.declared().accessor(name);
    }
    if (type instanceof Class<?> c) {
      for (Method m : c.getMethods()) {
        if (m.getName().equals(name)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Words, strings, numbers and punctuation of {@code text}; {@code at} locates char i. */
  private static List<Token> tokens(String text, IntUnaryOperator at) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      int skip = JavaSource.skipLiteral(text, i);
      if (skip > i) {
        if (c == '"' || c == '\'') {
          out.add(new Token("\"", at.applyAsInt(i), false));
        }
        i = skip;
      } else if (Character.isWhitespace(c)) {
        i++;
      } else if (Character.isJavaIdentifierStart(c)) {
        int end = i;
        while (end < text.length() && Character.isJavaIdentifierPart(text.charAt(end))) {
          end++;
        }
        out.add(new Token(text.substring(i, end), at.applyAsInt(i), true));
        i = end;
      } else if (Character.isDigit(c)) {
        int end = i;
        while (end < text.length()
            && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '.')) {
          end++;
        }
        out.add(new Token("0", at.applyAsInt(i), false));
        i = end;
      } else {
        String two = i + 1 < text.length() ? text.substring(i, i + 2) : "";
        String p =
            Set.of("!.", ".?", "::", ":=", "==", "!=", "<=", ">=", "&&", "||").contains(two)
                ? two
                : String.valueOf(c);
        out.add(new Token(p, at.applyAsInt(i), false));
        i += p.length();
      }
    }
    return out;
  }
}
