package io.tollgate.adapters.builtin.list;

/** {@code Matcher} tells whether a value is in a compiled list. Immutable and thread-safe. */
interface Matcher {
  boolean contains(String value);
}
