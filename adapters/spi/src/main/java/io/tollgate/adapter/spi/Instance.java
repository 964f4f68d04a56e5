package io.tollgate.adapter.spi;

import java.util.List;
import java.util.Map;

/**
 * {@code Instance} is one template filled in for one request: the values a rule computed for a
 * handler. Values have the Java types of their fields' {@link AttributeType}s; a field whose
 * expression produced no value is absent.
 *
 * @param name the instance's configured name
 * @param template the template's name
 * @param values field name to value
 */
public record Instance(String name, String template, Map<String, Object> values) {

  public Instance {
    values = Map.copyOf(values);
  }

  /** The field as a string, or {@code null}. */
  public String string(String field) {
    Object v = values.get(field);
    return v == null ? null : String.valueOf(v);
  }

  /** The field as a list of strings, or an empty list. */
  @SuppressWarnings("unchecked")
  public List<String> strings(String field) {
    Object v = values.get(field);
    return v instanceof List<?> l ? (List<String>) l : List.of();
  }
}
