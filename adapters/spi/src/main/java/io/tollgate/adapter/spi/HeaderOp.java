package io.tollgate.adapter.spi;

import java.util.Locale;
import java.util.Objects;

/**
 * {@code HeaderOp} changes one header on the request sent upstream or on the response sent back.
 *
 * @param op what to do
 * @param name header name, stored lower case
 * @param value the value; ignored for {@link Op#REMOVE}
 */
public record HeaderOp(Op op, String name, String value) {

  /** How a header operation applies. */
  public enum Op {
    /** Set the header, replacing any value it had. */
    REPLACE,
    /** Add a value, keeping existing ones. */
    APPEND,
    /** Remove the header. */
    REMOVE
  }

  public HeaderOp {
    Objects.requireNonNull(op, "op");
    name = Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT);
    value = value == null ? "" : value;
  }

  public static HeaderOp replace(String name, String value) {
    return new HeaderOp(Op.REPLACE, name, value);
  }

  public static HeaderOp append(String name, String value) {
    return new HeaderOp(Op.APPEND, name, value);
  }

  public static HeaderOp remove(String name) {
    return new HeaderOp(Op.REMOVE, name, "");
  }
}
