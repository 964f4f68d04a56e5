package io.tollgate.rules.drools;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code JavaSource} is a consequence or function body made plain Java for parsing, with the way
 * back to the {@code .drl} file: Drools' {@code modify ($x) { setA(1), setB(2) }} becomes {@code
 * update ($x); { __modified.setA(1); __modified.setB(2); }}, so the calls in the block are checked
 * as calls on a value. Every character of the text knows the file offset it came from.
 */
final class JavaSource {
  private final String text;
  private final int[] origin;
  private final LineStarts lines;

  private JavaSource(String text, int[] origin) {
    this.text = text;
    this.origin = origin;
    this.lines = new LineStarts(text);
  }

  String text() {
    return text;
  }

  /** The file offset of a 1-based line and column of {@link #text()}. */
  int offset(int line, int column) {
    if (origin.length == 0) {
      return 0;
    }
    int l = Math.max(1, Math.min(line, lines.count()));
    int i = Math.max(0, Math.min(lines.start(l) + column - 1, origin.length - 1));
    return origin[i];
  }

  /** {@code type} as it is, found at {@code offset}. */
  static JavaSource plain(String type, int offset) {
    int[] origin = new int[type.length()];
    for (int i = 0; i < origin.length; i++) {
      origin[i] = offset + i;
    }
    return new JavaSource(type, origin);
  }

  /**
   * The statements {@code code} (found at {@code offset}) in braces, Unicode escapes decoded as the
   * compiler decodes them (so that {@code // \u000a code} is read as code) and modify blocks
   * rewritten.
   */
  static JavaSource rewrite(String raw, int offset) {
    int[] from = new int[raw.length()];
    String code = unescape(raw, from);
    for (int i = 0; i < code.length(); i++) {
      from[i] += offset;
    }
    Builder b = new Builder(code, from, offset + raw.length());
    b.emit("{", 0);
    int i = 0;
    while (i < code.length()) {
      int skip = skipLiteral(code, i);
      if (skip > i) {
        b.copy(i, skip);
        i = skip;
        continue;
      }
      char c = code.charAt(i);
      if (Character.isJavaIdentifierStart(c)) {
        int end = i;
        while (end < code.length() && Character.isJavaIdentifierPart(code.charAt(end))) {
          end++;
        }
        if (code.startsWith("modify", i) && end == i + 6 && !afterDot(code, i)) {
          int next = modify(code, i, b);
          if (next > 0) {
            i = next;
            continue;
          }
        }
        b.copy(i, end);
        i = end;
        continue;
      }
      b.copy(i, i + 1);
      i++;
    }
    b.emit("\n}", code.length());
    return b.build();
  }

  /**
   * Decodes Unicode escapes (JLS 3.3): a backslash preceded by an even number of backslashes, one
   * or more {@code u}, four hex digits. {@code from[i]} is set to where decoded char {@code i}
   * starts in {@code raw}.
   */
  static String unescape(String raw, int[] from) {
    StringBuilder out = new StringBuilder(raw.length());
    int backslashes = 0;
    int i = 0;
    while (i < raw.length()) {
      char c = raw.charAt(i);
      if (c == '\\' && backslashes % 2 == 0 && i + 1 < raw.length() && raw.charAt(i + 1) == 'u') {
        int j = i + 1;
        while (j < raw.length() && raw.charAt(j) == 'u') {
          j++;
        }
        if (j + 4 <= raw.length() && raw.substring(j, j + 4).matches("[0-9a-fA-F]{4}")) {
          from[out.length()] = i;
          out.append((char) Integer.parseInt(raw.substring(j, j + 4), 16));
          i = j + 4;
          backslashes = 0;
          continue;
        }
      }
      backslashes = c == '\\' ? backslashes + 1 : 0;
      from[out.length()] = i;
      out.append(c);
      i++;
    }
    return out.toString();
  }

  /** Rewrites one modify block at {@code at}; returns where it ends, or -1 if it is not one. */
  private static int modify(String code, int at, Builder b) {
    int open = skipSpace(code, at + 6);
    if (open >= code.length() || code.charAt(open) != '(') {
      return -1;
    }
    int close = match(code, open, '(', ')');
    int brace = close < 0 ? -1 : skipSpace(code, close + 1);
    if (brace < 0 || brace >= code.length() || code.charAt(brace) != '{') {
      return -1;
    }
    int end = match(code, brace, '{', '}');
    if (end < 0) {
      return -1;
    }
    b.emit("update", at);
    b.copy(at + 6, close + 1);
    b.emit(";", close);
    b.copy(close + 1, brace + 1);
    int item = brace + 1;
    for (int comma : commas(code, brace + 1, end)) {
      item(code, item, comma, b);
      item = comma + 1;
    }
    item(code, item, end, b);
    b.copy(end, end + 1);
    return end + 1;
  }

  private static void item(String code, int from, int to, Builder b) {
    int start = skipSpace(code, from);
    b.copy(from, Math.min(start, to));
    if (start < to) {
      b.emit(" " + JavaCheck.MODIFIED + ".", start);
      b.copy(start, to);
      b.emit(";", to);
    }
  }

  private static List<Integer> commas(String code, int from, int to) {
    List<Integer> out = new ArrayList<>();
    int depth = 0;
    for (int i = from; i < to; i++) {
      int skip = skipLiteral(code, i);
      if (skip > i) {
        i = skip - 1;
        continue;
      }
      char c = code.charAt(i);
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(i);
      }
    }
    return out;
  }

  private static int match(String code, int open, char o, char c) {
    int depth = 0;
    for (int i = open; i < code.length(); i++) {
      int skip = skipLiteral(code, i);
      if (skip > i) {
        i = skip - 1;
        continue;
      }
      if (code.charAt(i) == o) {
        depth++;
      } else if (code.charAt(i) == c && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static boolean afterDot(String code, int i) {
    int j = i - 1;
    while (j >= 0 && Character.isWhitespace(code.charAt(j))) {
      j--;
    }
    return j >= 0 && (code.charAt(j) == '.' || Character.isJavaIdentifierPart(code.charAt(j)));
  }

  private static int skipSpace(String code, int i) {
    while (i < code.length() && Character.isWhitespace(code.charAt(i))) {
      i++;
    }
    return i;
  }

  /** The end of the string, character literal or comment at {@code i}, or {@code i}. */
  static int skipLiteral(String code, int i) {
    if (code.startsWith("//", i)) {
      int nl = code.indexOf('\n', i);
      return nl < 0 ? code.length() : nl;
    }
    if (code.startsWith("/*", i)) {
      int end = code.indexOf("*/", i + 2);
      return end < 0 ? code.length() : end + 2;
    }
    if (code.startsWith("\"\"\"", i)) {
      int end = code.indexOf("\"\"\"", i + 3);
      return end < 0 ? code.length() : end + 3;
    }
    char q = code.charAt(i);
    if (q != '"' && q != '\'') {
      return i;
    }
    for (int j = i + 1; j < code.length(); j++) {
      char c = code.charAt(j);
      if (c == '\\') {
        j++;
      } else if (c == q || c == '\n') {
        return j + 1;
      }
    }
    return code.length();
  }

  private static final class Builder {
    private final String code;
    private final int[] from;
    private final int end;
    private final StringBuilder text = new StringBuilder();
    private final List<Integer> origin = new ArrayList<>();

    /**
     * {@code from[i]} is where {@code code}'s char {@code i} is in the file; {@code end} its end.
     */
    Builder(String code, int[] from, int end) {
      this.code = code;
      this.from = from;
      this.end = end;
    }

    private int at(int i) {
      return i < code.length() ? from[i] : end;
    }

    void copy(int start, int to) {
      for (int i = start; i < to; i++) {
        text.append(code.charAt(i));
        origin.add(at(i));
      }
    }

    void emit(String s, int i) {
      for (int k = 0; k < s.length(); k++) {
        text.append(s.charAt(k));
        origin.add(at(i));
      }
    }

    JavaSource build() {
      return new JavaSource(text.toString(), origin.stream().mapToInt(Integer::intValue).toArray());
    }
  }
}
