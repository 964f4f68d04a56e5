package io.tollgate.adapter.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * {@code Template} is the shape of the data a rule sends a handler: named fields with types. An
 * {@code Instance} config fills each field with an expression over the request's attributes.
 *
 * @param name the template's name as written in configs ({@code listentry})
 * @param fields field name to type, in declaration order
 * @param required fields an instance must set
 */
public record Template(
    String name, Map<String, AttributeType> fields, java.util.Set<String> required) {

  /** Nothing but the decision itself: for handlers such as {@code denier}. */
  public static final Template CHECKNOTHING =
      new Template("checknothing", Map.of(), java.util.Set.of());

  /** One value to look up in a list: {@code value}. */
  public static final Template LISTENTRY =
      new Template("listentry", ordered("value", AttributeType.STRING), java.util.Set.of("value"));

  /** Who does what: Mixer's authorization template, flattened. */
  public static final Template AUTHORIZATION =
      new Template(
          "authorization",
          ordered(
              "user", AttributeType.STRING,
              "groups", AttributeType.STRING_LIST,
              "namespace", AttributeType.STRING,
              "service", AttributeType.STRING,
              "method", AttributeType.STRING,
              "path", AttributeType.STRING,
              "properties", AttributeType.DYN_MAP),
          java.util.Set.of());

  /**
   * Hits to spend from a quota: Mixer's quota template. {@code dimensions} (name to expression)
   * tell quotas apart, {@code amount} is the hits to spend (1 when absent).
   */
  public static final Template QUOTA =
      new Template(
          "quota",
          ordered("dimensions", AttributeType.DYN_MAP, "amount", AttributeType.INT),
          java.util.Set.of());

  /**
   * A value to record with its dimensions: Mixer's metric template, sent to report handlers such as
   * {@code prometheus}. {@code value} is the number (1 for a counter), {@code dimensions} name to
   * expression.
   */
  public static final Template METRIC =
      new Template(
          "metric",
          ordered("value", AttributeType.DYN, "dimensions", AttributeType.DYN_MAP),
          java.util.Set.of());

  /** A log line: Mixer's logentry template, sent to report handlers such as {@code accesslog}. */
  public static final Template LOGENTRY =
      new Template(
          "logentry",
          ordered(
              "severity",
              AttributeType.STRING,
              "timestamp",
              AttributeType.TIMESTAMP,
              "variables",
              AttributeType.DYN_MAP),
          java.util.Set.of());

  private static final Map<String, Template> BUILT_IN =
      Map.of(
          CHECKNOTHING.name,
          CHECKNOTHING,
          LISTENTRY.name,
          LISTENTRY,
          AUTHORIZATION.name,
          AUTHORIZATION,
          QUOTA.name,
          QUOTA,
          METRIC.name,
          METRIC,
          LOGENTRY.name,
          LOGENTRY);

  /**
   * Whether instances of this template are reported after a request rather than checked before it.
   */
  public boolean isReport() {
    return name.equals(METRIC.name) || name.equals(LOGENTRY.name);
  }

  public Template {
    Objects.requireNonNull(name, "name");
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    required = java.util.Set.copyOf(required);
  }

  /** The built-in template called {@code name}, or {@code null}. */
  public static Template byName(String name) {
    return BUILT_IN.get(name);
  }

  /** The names of the built-in templates. */
  public static java.util.Set<String> names() {
    return BUILT_IN.keySet();
  }

  private static Map<String, AttributeType> ordered(Object... kv) {
    Map<String, AttributeType> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], (AttributeType) kv[i + 1]);
    }
    return m;
  }
}
