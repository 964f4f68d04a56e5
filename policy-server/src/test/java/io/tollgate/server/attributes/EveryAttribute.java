package io.tollgate.server.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code EveryAttribute} reads every attribute of a {@link RequestView} through {@link
 * AttributeTable}, for the fuzz targets of the transports: each row's derivation must not throw
 * (the attributes a rule sees swallow a failing derivation and leave the attribute out, which would
 * hide the bug), each value must have the Java type {@link Vocabulary} gives its name, and the
 * lazily derived {@link Attributes} must agree with the rows.
 */
public final class EveryAttribute {
  private EveryAttribute() {}

  /** Reads every row of {@code view}; fails on an exception or a value of the wrong type. */
  public static Attributes read(RequestView view) {
    Attributes attributes = AttributeTable.attributes(view);
    for (AttributeTable row : AttributeTable.values()) {
      Object v = row.derive(view);
      if (v == null) {
        assertThat(attributes.get(row.attribute())).as(row.attribute()).isNull();
        continue;
      }
      assertType(row.attribute(), v);
      assertThat(attributes.get(row.attribute())).as(row.attribute()).isEqualTo(v);
    }
    assertThat(attributes.names()).allSatisfy(n -> assertThat(attributes.get(n)).isNotNull());
    assertThat(attributes.toString()).isNotNull();
    return attributes;
  }

  private static void assertType(String name, Object v) {
    AttributeType type = Vocabulary.typeOf(name);
    switch (type) {
      case STRING -> assertThat(v).as(name).isInstanceOf(String.class);
      case INT -> assertThat(v).as(name).isInstanceOf(Long.class);
      case BOOL -> assertThat(v).as(name).isInstanceOf(Boolean.class);
      case TIMESTAMP -> assertThat(v).as(name).isInstanceOf(Instant.class);
      case DURATION -> assertThat(v).as(name).isInstanceOf(Duration.class);
      case STRING_MAP -> {
        assertThat(v).as(name).isInstanceOf(Map.class);
        ((Map<?, ?>) v)
            .forEach(
                (k, x) -> {
                  assertThat(k).as(name).isInstanceOf(String.class);
                  assertThat(x).as(name + "[" + k + "]").isInstanceOf(String.class);
                });
      }
      case STRING_LIST -> assertThat(v).as(name).isInstanceOf(List.class);
      case DYN_MAP -> assertThat(v).as(name).isInstanceOf(Map.class);
      case DYN -> {}
    }
  }
}
