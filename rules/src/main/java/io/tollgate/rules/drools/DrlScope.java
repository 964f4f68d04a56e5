package io.tollgate.rules.drools;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code DrlScope} resolves the type names one DRL file uses as the Java compiler and MVEL will:
 * its single-type imports first, then the types of its package (those the DRL declares, and any
 * class already in a package of that name), then {@code java.lang} and its star imports.
 */
final class DrlScope {
  /** A type name resolved: its canonical name, and whether rules may use it. */
  record Resolved(String name, boolean allowed) {}

  private final String pkg;
  private final Map<String, String> imports;
  private final List<String> starImports;
  private final DrlDeclared declared;
  private final Set<String> functions;
  private final Map<String, Optional<String>> cache = new HashMap<>();

  DrlScope(
      String pkg,
      Map<String, String> imports,
      List<String> starImports,
      DrlDeclared declared,
      Set<String> functions) {
    this.pkg = pkg;
    this.imports = imports;
    this.starImports = starImports;
    this.declared = declared;
    this.functions = functions;
  }

  /** The names of the functions DRL files of the policy declare. */
  Set<String> functions() {
    return functions;
  }

  DrlDeclared declared() {
    return declared;
  }

  /** Whether the canonical {@code name} is an allowed or declared type. */
  boolean allowed(String name) {
    return DrlAllowList.TYPES.containsKey(name) || declared.isType(name);
  }

  /** The class of an allowed JDK or fact type, or {@code null} (declared, or not allowed). */
  static Class<?> allowedClass(String name) {
    return DrlAllowList.TYPES.get(name);
  }

  /** Resolves a simple name, or {@code null} if it names no type. */
  Resolved simple(String name) {
    String found = cache.computeIfAbsent(name, n -> Optional.ofNullable(find(n))).orElse(null);
    return found == null ? null : new Resolved(found, allowed(found));
  }

  private String find(String name) {
    String imported = imports.get(name);
    if (imported != null) {
      return imported;
    }
    String own = pkg.isEmpty() ? name : pkg + "." + name;
    if (declared.isType(own) || exists(own)) {
      return own;
    }
    if (exists("java.lang." + name)) {
      return "java.lang." + name;
    }
    for (String star : starImports) {
      String candidate = star + "." + name;
      if (allowed(candidate) || exists(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /**
   * Resolves a dotted name ({@code Map.Entry}, {@code java.time.Duration}) that names a type, or
   * returns {@code null}.
   */
  Resolved qualified(String dotted) {
    int dot = dotted.indexOf('.');
    if (dot < 0) {
      return simple(dotted);
    }
    Resolved first = simple(dotted.substring(0, dot));
    if (first != null) {
      String full = first.name() + dotted.substring(dot);
      return new Resolved(full, allowed(full));
    }
    if (allowed(dotted) || exists(dotted)) {
      return new Resolved(dotted, allowed(dotted));
    }
    return null;
  }

  /**
   * Whether a class of this canonical name is on the class path. Looking a class up does not
   * initialize it, so this runs none of its code.
   */
  static boolean exists(String canonical) {
    if (DrlAllowList.TYPES.containsKey(canonical)) {
      return true;
    }
    String binary = canonical;
    ClassLoader loader = DrlScope.class.getClassLoader();
    while (true) {
      try {
        Class.forName(binary, false, loader);
        return true;
      } catch (ClassNotFoundException | LinkageError e) {
        int dot = binary.lastIndexOf('.');
        if (dot < 0) {
          return false;
        }
        binary = binary.substring(0, dot) + "$" + binary.substring(dot + 1);
        if (binary.indexOf('.') < 0) {
          return false;
        }
      }
    }
  }
}
