package io.tollgate.rules.drools;

import io.tollgate.common.config.ConfigError;
import java.util.List;

/**
 * {@code DrlRefusals} turns what {@link DrlSandbox} refuses into located errors: a character offset
 * in the {@code .drl} file becomes its line and column, and every message names the rule (or
 * function, or declared type) it is in.
 */
final class DrlRefusals {
  private final String file;
  private final String source;
  private final LineStarts lines;
  private final List<ConfigError> errors;
  private String where = "";
  private String noun = "DRL";

  DrlRefusals(String file, String source, List<ConfigError> errors) {
    this.file = file;
    this.source = source;
    this.errors = errors;
    this.lines = new LineStarts(source);
  }

  String source() {
    return source;
  }

  /** Names what later refusals are in: {@code rule "x"}, and the noun for it: {@code a rule}. */
  void in(String where, String noun) {
    this.where = where;
    this.noun = noun;
  }

  /** The offset of a 1-based line and 0-based column (Drools' descriptors count so). */
  int offset(int line, int column) {
    if (line < 1 || line > lines.count()) {
      return -1;
    }
    return Math.min(lines.start(line) + Math.max(column, 0), source.length());
  }

  /** Where {@code text} starts at or after {@code from}, or {@code from} if it is not found. */
  int find(String text, int from) {
    int start = Math.max(from, 0);
    int i = text == null || text.isEmpty() ? -1 : source.indexOf(text, start);
    return i >= 0 ? i : start;
  }

  /** Refuses {@code what} at {@code offset}: it is not on the allow-list. */
  void notAllowed(int offset, String what) {
    at(offset, "`" + what + "` is not allowed in " + noun + " (" + DrlAllowList.SUMMARY + ")");
  }

  /** Refuses at {@code offset} with {@code message}. */
  void at(int offset, String message) {
    int line = 0;
    int column = 0;
    if (offset >= 0) {
      line = lines.lineOf(offset);
      column = offset - lines.start(line) + 1;
    }
    String prefix = where.isEmpty() ? "" : where + ": ";
    errors.add(new ConfigError(file, line, column, prefix + message));
  }
}
