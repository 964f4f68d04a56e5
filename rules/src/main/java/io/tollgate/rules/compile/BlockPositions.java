package io.tollgate.rules.compile;

/**
 * {@code BlockPositions} maps a position inside a YAML block scalar's text ({@code |} literal or
 * {@code >} folded) to its line and column in the file. A literal block keeps its lines, but a
 * folded one joins them with spaces, so an expression's second line in the file is on its first
 * line for the CEL parser; the position is found by laying the text over the block's lines in the
 * file, which hold the same characters after their indentation.
 */
final class BlockPositions {
  private BlockPositions() {}

  /**
   * The file position of column {@code column} (1-based) of line {@code line} (1-based) of {@code
   * text}, the value of a block scalar whose indicator ({@code |}, {@code >-}, ...) is on {@code
   * indicatorLine} (1-based) of {@code fileLines}; {@code null} if the text cannot be laid over the
   * file (then the caller falls back to a line-for-line guess).
   *
   * @return {@code {line, column}}, both 1-based
   */
  static int[] locate(String[] fileLines, int indicatorLine, String text, int line, int column) {
    int offset = offsetOf(text, line, column);
    if (offset < 0 || fileLines == null) {
      return null;
    }
    int indent = -1;
    int from = 0;
    for (int n = indicatorLine; n < fileLines.length && from <= text.length(); n++) {
      String l = fileLines[n];
      if (l.isBlank()) {
        continue; // a blank line is a newline in the text, or nothing; either way no characters
      }
      int lead = 0;
      while (lead < l.length() && l.charAt(lead) == ' ') {
        lead++;
      }
      if (indent < 0) {
        indent = lead;
      } else if (lead < indent) {
        return null; // past the block
      }
      String content = l.substring(indent);
      int at = text.indexOf(content, from);
      if (at < 0) {
        return null;
      }
      if (offset < at + content.length()) {
        return offset < at
            ? new int[] {n + 1, indent + 1}
            : new int[] {n + 1, indent + 1 + offset - at};
      }
      from = at + content.length();
    }
    return null;
  }

  /** The 0-based offset in {@code text} of a 1-based line and column, or -1 if outside. */
  private static int offsetOf(String text, int line, int column) {
    int start = 0;
    for (int l = 1; l < line; l++) {
      int nl = text.indexOf('\n', start);
      if (nl < 0) {
        return -1;
      }
      start = nl + 1;
    }
    int offset = start + Math.max(column, 1) - 1;
    return offset <= text.length() ? offset : -1;
  }
}
