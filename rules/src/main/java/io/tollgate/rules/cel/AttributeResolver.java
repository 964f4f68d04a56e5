package io.tollgate.rules.cel;

import dev.cel.runtime.CelVariableResolver;
import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code AttributeResolver} gives CEL the request's attributes. An attribute the request does not
 * carry reads as the zero value of its type ({@code ""}, {@code 0}, {@code false}, an empty map),
 * so that every expression is total over every request and a missing header never turns a rule into
 * an error. Map lookups of absent keys still fail: test with {@code "k" in m} first.
 */
final class AttributeResolver implements CelVariableResolver {
  private static final Optional<Object> EMPTY_STRING = Optional.of("");
  private static final Optional<Object> ZERO = Optional.of(0L);
  private static final Optional<Object> FALSE = Optional.of(false);
  private static final Optional<Object> EMPTY_MAP = Optional.of(Map.of());
  private static final Optional<Object> EMPTY_LIST = Optional.of(List.of());
  private static final Optional<Object> EPOCH = Optional.of(Instant.EPOCH);
  private static final Optional<Object> NO_TIME = Optional.of(Duration.ZERO);

  private final Attributes attributes;

  private AttributeResolver(Attributes attributes) {
    this.attributes = attributes;
  }

  static AttributeResolver of(Attributes attributes) {
    return new AttributeResolver(attributes);
  }

  @Override
  public Optional<Object> find(String name) {
    Object v = attributes.get(name);
    if (v != null) {
      if (v instanceof Integer i) {
        return Optional.of(i.longValue());
      }
      return Optional.of(v);
    }
    AttributeType t = Vocabulary.typeOf(name);
    if (t == null) {
      return Optional.empty();
    }
    return switch (t) {
      case STRING -> EMPTY_STRING;
      case INT -> ZERO;
      case BOOL -> FALSE;
      case TIMESTAMP -> EPOCH;
      case DURATION -> NO_TIME;
      case STRING_MAP, DYN_MAP -> EMPTY_MAP;
      case STRING_LIST -> EMPTY_LIST;
      case DYN -> Optional.empty();
    };
  }
}
