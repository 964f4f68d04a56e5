package io.tollgate.adapters.builtin.list;

/** {@code EntryType} says how list entries compare with values. */
public enum EntryType {
  STRINGS,
  CASE_INSENSITIVE_STRINGS,
  IP_ADDRESSES,
  REGEX
}
