package io.tollgate.rules.drools;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class DrlAllowListTest {
  /**
   * Calls are checked by name only, which holds because a rule cannot leave the allowed types:
   * every method and field rules may use returns an allowed type (type arguments included).
   */
  @Test
  void theAllowedTypesAreClosedUnderTheirMethods() {
    Map<String, Set<String>> outside = new TreeMap<>();
    for (Class<?> c : DrlAllowList.TYPES.values()) {
      for (Method m : c.getMethods()) {
        if (!m.isBridge() && !DrlAllowList.FORBIDDEN_MEMBERS.contains(m.getName())) {
          reach(
              m.getGenericReturnType(),
              c.getSimpleName() + "." + m.getName(),
              outside,
              new HashSet<>());
        }
      }
      for (Field f : c.getFields()) {
        if (!DrlAllowList.FORBIDDEN_MEMBERS.contains(f.getName())) {
          reach(
              f.getGenericType(), c.getSimpleName() + "." + f.getName(), outside, new HashSet<>());
        }
      }
    }
    assertThat(outside).isEmpty();
  }

  @Test
  void theWaysOutAreNotAllowed() {
    for (String name :
        new String[] {"getClass", "getDeclaringClass", "getInteger", "setDefault", "wait"}) {
      assertThat(DrlAllowList.method(name)).as(name).isFalse();
    }
    assertThat(DrlAllowList.property("class")).isFalse();
    assertThat(DrlAllowList.field("TYPE")).isFalse();
    assertThat(DrlAllowList.TYPES)
        .doesNotContainKeys(
            "java.lang.Class",
            "java.lang.System",
            "java.lang.Runtime",
            "java.lang.Thread",
            "java.lang.ClassLoader",
            "java.util.Scanner",
            "java.util.ServiceLoader",
            "java.util.Timer");
  }

  private static void reach(Type t, String via, Map<String, Set<String>> outside, Set<Type> seen) {
    if (!seen.add(t)) {
      return;
    }
    if (t instanceof Class<?> c) {
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (!c.isPrimitive() && !DrlAllowList.TYPES.containsKey(c.getCanonicalName())) {
        outside.computeIfAbsent(c.getName(), k -> new TreeSet<>()).add(via);
      }
    } else if (t instanceof ParameterizedType p) {
      reach(p.getRawType(), via, outside, seen);
      for (Type a : p.getActualTypeArguments()) {
        reach(a, via, outside, seen);
      }
    } else if (t instanceof GenericArrayType g) {
      reach(g.getGenericComponentType(), via, outside, seen);
    } else if (t instanceof WildcardType w) {
      for (Type b : w.getUpperBounds()) {
        reach(b, via, outside, seen);
      }
      for (Type b : w.getLowerBounds()) {
        reach(b, via, outside, seen);
      }
    } else if (t instanceof TypeVariable<?> v) {
      for (Type b : v.getBounds()) {
        reach(b, via, outside, seen);
      }
    }
  }
}
