package io.tollgate.rules.drools;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code DrlDeclared} is what the DRL files of one policy declare: types ({@code declare}) with
 * their fields, by canonical name. Rules may use a declared type and its generated accessors.
 */
final class DrlDeclared {
  private final Map<String, Set<String>> fields = new HashMap<>();
  private final Map<String, String> supers = new HashMap<>();
  private final Set<String> accessors = new HashSet<>();

  void add(String type, String superType, Set<String> fieldNames) {
    fields.put(type, Set.copyOf(fieldNames));
    if (superType != null) {
      supers.put(type, superType);
    }
    for (String f : fieldNames) {
      String cap = f.isEmpty() ? f : Character.toUpperCase(f.charAt(0)) + f.substring(1);
      accessors.add("get" + cap);
      accessors.add("is" + cap);
      accessors.add("set" + cap);
    }
  }

  /** The packages declared types are in. */
  Set<String> packages() {
    Set<String> p = new HashSet<>();
    for (String t : fields.keySet()) {
      int dot = t.lastIndexOf('.');
      p.add(dot < 0 ? "" : t.substring(0, dot));
    }
    return p;
  }

  boolean isType(String canonical) {
    return fields.containsKey(canonical);
  }

  /** The fields of a declared type, its declared supertypes' included. */
  Set<String> fields(String type) {
    Set<String> all = new LinkedHashSet<>();
    Set<String> seen = new HashSet<>();
    for (String t = type; t != null && seen.add(t); t = supers.get(t)) {
      all.addAll(fields.getOrDefault(t, Set.of()));
    }
    return all;
  }

  /** Whether {@code name} is an accessor some declared type has. */
  boolean accessor(String name) {
    return accessors.contains(name);
  }

  /** Whether {@code name} is a field some declared type has. */
  boolean field(String name) {
    for (Set<String> f : fields.values()) {
      if (f.contains(name)) {
        return true;
      }
    }
    return false;
  }
}
