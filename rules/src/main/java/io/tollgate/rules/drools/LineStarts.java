package io.tollgate.rules.drools;

import java.util.ArrayList;
import java.util.List;

/** Where each line of a text starts: offsets to 1-based lines and back. */
final class LineStarts {
  private final int[] starts;

  LineStarts(String text) {
    List<Integer> s = new ArrayList<>();
    s.add(0);
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        s.add(i + 1);
      }
    }
    starts = s.stream().mapToInt(Integer::intValue).toArray();
  }

  /** How many lines the text has. */
  int count() {
    return starts.length;
  }

  /** The offset where 1-based {@code line} starts. */
  int start(int line) {
    return starts[line - 1];
  }

  /** The 1-based line {@code offset} is on. */
  int lineOf(int offset) {
    int lo = 0;
    int hi = starts.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo + 1;
  }
}
