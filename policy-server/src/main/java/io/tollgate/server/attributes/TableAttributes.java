package io.tollgate.server.attributes;

import io.tollgate.adapter.spi.Attributes;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code TableAttributes} are the attributes of one {@link RequestView}, each derived by its {@link
 * AttributeTable} row when first read and kept. Derivations are deterministic and their values
 * immutable, so two threads that derive the same row at once agree; values are published with
 * release/acquire ordering. A row whose derivation fails on odd input is left out.
 */
final class TableAttributes implements Attributes {
  private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);

  /** Marks a row derived as absent; {@code null} in a slot means not derived yet. */
  private static final Object ABSENT = new Object();

  private final RequestView view;
  private final Object[] slots = new Object[AttributeTable.rows().length];

  TableAttributes(RequestView view) {
    this.view = view;
  }

  @Override
  public Object get(String name) {
    AttributeTable row = AttributeTable.of(name);
    return row == null ? null : value(row);
  }

  private Object value(AttributeTable row) {
    int i = row.ordinal();
    Object v = SLOTS.getAcquire(slots, i);
    if (v == null) {
      try {
        v = row.derive(view);
      } catch (RuntimeException e) {
        v = null;
      }
      if (v == null) {
        v = ABSENT;
      }
      SLOTS.setRelease(slots, i, v);
    }
    return v == ABSENT ? null : v;
  }

  @Override
  public Set<String> names() {
    Set<String> out = new LinkedHashSet<>();
    for (AttributeTable row : AttributeTable.rows()) {
      if (value(row) != null) {
        out.add(row.attribute());
      }
    }
    return Collections.unmodifiableSet(out);
  }

  @Override
  public String toString() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (AttributeTable row : AttributeTable.rows()) {
      Object v = value(row);
      if (v != null) {
        m.put(row.attribute(), v);
      }
    }
    return "Attributes" + m;
  }
}
