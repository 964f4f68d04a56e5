package io.tollgate.rules.snapshot;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.rules.cel.CompiledExpression;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code CompiledInstance} builds one template's values for a request. A field whose expression
 * fails at run time (e.g. a missing map key) is left out of the instance; the handler sees it as
 * absent.
 */
public final class CompiledInstance {
  public static final CompiledInstance NOTHING =
      new CompiledInstance("", "checknothing", Map.of(), Map.of());

  private final String name;
  private final String template;
  private final Map<String, CompiledExpression> fields;
  private final Map<String, Map<String, CompiledExpression>> mapFields;

  public CompiledInstance(
      String name,
      String template,
      Map<String, CompiledExpression> fields,
      Map<String, Map<String, CompiledExpression>> mapFields) {
    this.name = name;
    this.template = template;
    this.fields = Map.copyOf(fields);
    this.mapFields = Map.copyOf(mapFields);
  }

  public String name() {
    return name;
  }

  public String template() {
    return template;
  }

  public Instance build(Attributes attributes) {
    if (fields.isEmpty() && mapFields.isEmpty()) {
      return new Instance(name, template, Map.of());
    }
    Map<String, Object> values = new HashMap<>(fields.size() + mapFields.size());
    for (Map.Entry<String, CompiledExpression> f : fields.entrySet()) {
      Object v = evalOrNull(f.getValue(), attributes);
      if (v != null) {
        values.put(f.getKey(), v);
      }
    }
    for (Map.Entry<String, Map<String, CompiledExpression>> f : mapFields.entrySet()) {
      Map<String, Object> m = new HashMap<>();
      for (Map.Entry<String, CompiledExpression> e : f.getValue().entrySet()) {
        Object v = evalOrNull(e.getValue(), attributes);
        if (v != null) {
          m.put(e.getKey(), v);
        }
      }
      values.put(f.getKey(), m);
    }
    return new Instance(name, template, values);
  }

  private static Object evalOrNull(CompiledExpression e, Attributes a) {
    try {
      return e.eval(a);
    } catch (Exception ex) {
      return null;
    }
  }
}
