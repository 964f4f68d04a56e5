package io.tollgate.rules.rego;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code RegoModule} is one {@code .rego} file rewritten to live under a slot root: its {@code
 * package p} becomes {@code package <root>.p} and every reference to {@code data} becomes {@code
 * data.<root>}, so that the same policy can be uploaded into a second slot while the first keeps
 * answering, and data documents uploaded with it are found. Strings and comments are left alone.
 * OPA's error locations in the rewritten text are mapped back to the file as written.
 */
public final class RegoModule {
  private final String file;
  private final String source;
  private final String packageName;
  private final int packageLine;
  private final String root;
  private final String rewritten;

  /**
   * Per line (0-based), the insertions made: {rewritten column (1-based) where it starts, length}.
   */
  private final List<List<int[]>> insertions;

  private RegoModule(
      String file,
      String source,
      String packageName,
      int packageLine,
      String root,
      String rewritten,
      List<List<int[]>> insertions) {
    this.file = file;
    this.source = source;
    this.packageName = packageName;
    this.packageLine = packageLine;
    this.root = root;
    this.rewritten = rewritten;
    this.insertions = insertions;
  }

  /** The file relative to the policy directory. */
  public String file() {
    return file;
  }

  public String source() {
    return source;
  }

  /** The package as written ({@code envoy.authz}), or empty if the file declares none. */
  public String packageName() {
    return packageName;
  }

  /** The line of the {@code package} declaration (1-based), or 1. */
  public int packageLine() {
    return packageLine;
  }

  public String rewritten() {
    return rewritten;
  }

  /** Rewrites {@code source} to live under {@code root} (e.g. {@code tollgate.slot0}). */
  public static RegoModule rewrite(String file, String source, String root) {
    StringBuilder out = new StringBuilder(source.length() + 64);
    List<List<int[]>> ins = new ArrayList<>();
    ins.add(new ArrayList<>());
    int line = 0;
    int col = 1; // rewritten column of the next character written
    String pkg = "";
    int pkgLine = 1;
    boolean expectPackagePath = false;
    int n = source.length();
    int i = 0;
    char prevSignificant = '\n';
    while (i < n) {
      char c = source.charAt(i);
      if (c == '\n') {
        out.append(c);
        line++;
        col = 1;
        ins.add(new ArrayList<>());
        i++;
        prevSignificant = '\n';
        continue;
      }
      if (c == '#') { // comment to end of line
        int end = source.indexOf('\n', i);
        end = end < 0 ? n : end;
        out.append(source, i, end);
        col += end - i;
        i = end;
        continue;
      }
      if (c == '"' || c == '`') { // string; raw strings may span lines
        int j = i + 1;
        while (j < n && source.charAt(j) != c) {
          if (c == '"' && source.charAt(j) == '\\') {
            j++;
          }
          j++;
        }
        j = Math.min(j + 1, n);
        for (int k = i; k < j; k++) {
          char s = source.charAt(k);
          out.append(s);
          if (s == '\n') {
            line++;
            col = 1;
            ins.add(new ArrayList<>());
          } else {
            col++;
          }
        }
        i = j;
        prevSignificant = c;
        continue;
      }
      if (Character.isLetter(c) || c == '_') {
        int j = i;
        while (j < n && (Character.isLetterOrDigit(source.charAt(j)) || source.charAt(j) == '_')) {
          j++;
        }
        String word = source.substring(i, j);
        boolean afterDot = prevSignificant == '.';
        if (expectPackagePath) {
          String insert = root + ".";
          ins.get(line).add(new int[] {col, insert.length()});
          out.append(insert);
          col += insert.length();
          int end = source.indexOf('\n', i);
          end = end < 0 ? n : end;
          int hash = source.indexOf('#', i);
          String decl = source.substring(i, hash >= 0 && hash < end ? hash : end).strip();
          pkg = decl;
          expectPackagePath = false;
        } else if (word.equals("package") && !afterDot && pkg.isEmpty()) {
          expectPackagePath = true;
          pkgLine = line + 1;
        } else if (word.equals("data") && !afterDot) {
          out.append(word);
          col += word.length();
          String insert = "." + root;
          ins.get(line).add(new int[] {col, insert.length()});
          out.append(insert);
          col += insert.length();
          i = j;
          prevSignificant = 'a';
          continue;
        }
        out.append(word);
        col += word.length();
        i = j;
        prevSignificant = 'a';
        continue;
      }
      out.append(c);
      col++;
      i++;
      if (!Character.isWhitespace(c)) {
        prevSignificant = c;
      }
    }
    return new RegoModule(file, source, pkg, pkgLine, root, out.toString(), ins);
  }

  /** The column as written of a 1-based column OPA reported in the rewritten line {@code row}. */
  public int originalColumn(int row, int col) {
    if (row < 1 || row > insertions.size()) {
      return col;
    }
    int shift = 0;
    for (int[] in : insertions.get(row - 1)) {
      int start = in[0];
      int len = in[1];
      if (col >= start + len) {
        shift += len;
      } else if (col >= start) {
        return start - shift;
      }
    }
    return col - shift;
  }

  /** A message from OPA with the slot root taken out of the names it mentions. */
  public String originalMessage(String message) {
    return message.replace("data." + root + ".", "data.").replace(root + ".", "");
  }
}
