package io.tollgate.pilot.kube;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.events.DocumentEndEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;

/**
 * {@code DocumentSpans} cuts a multi-document YAML stream into the text of each document as
 * written, from SnakeYAML's parse events (no values are built): what {@link Manifests} writes back
 * for a document nothing changed. A document's text runs from the end of the previous one, so the
 * comments before it stay with it; its own {@code ---} marker and a closing {@code ...} are left
 * out, as the writer puts a separator between documents itself.
 */
final class DocumentSpans {
  /** One document's text and the lines (1-based) it spans. */
  record Span(String text, int firstLine, int lastLine) {}

  private DocumentSpans() {}

  /** The documents of {@code text}, which the YAML reader has already accepted. */
  static List<Span> of(String text) {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(io.tollgate.common.config.YamlReader.MAX_CODE_POINTS);
    List<Span> out = new ArrayList<>();
    int previousEnd = 0;
    DocumentStartEvent start = null;
    for (Event e : new Yaml(options).parse(new StringReader(text))) {
      if (e instanceof DocumentStartEvent ds) {
        start = ds;
      } else if (e instanceof DocumentEndEvent de && start != null) {
        int end = de.getExplicit() ? de.getStartMark().getIndex() : de.getEndMark().getIndex();
        StringBuilder doc = new StringBuilder();
        if (start.getExplicit()) {
          doc.append(slice(text, previousEnd, start.getStartMark().getIndex()).strip());
          String rest = slice(text, start.getEndMark().getIndex(), end);
          if (doc.length() > 0) {
            doc.append('\n');
          }
          doc.append(rest.startsWith("\n") ? rest.substring(1) : rest.stripLeading());
        } else {
          doc.append(slice(text, previousEnd, end));
        }
        out.add(
            new Span(
                doc.toString(), start.getStartMark().getLine() + 1, de.getEndMark().getLine() + 1));
        previousEnd = de.getEndMark().getIndex();
        start = null;
      }
    }
    return out;
  }

  /** {@code text} between two code point indexes, as SnakeYAML's marks count. */
  private static String slice(String text, int fromCodePoint, int toCodePoint) {
    int from = text.offsetByCodePoints(0, fromCodePoint);
    int to = text.offsetByCodePoints(from, toCodePoint - fromCodePoint);
    return text.substring(from, to);
  }
}
