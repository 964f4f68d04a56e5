package io.tollgate.common.config;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * {@code YamlReader} is Tollgate's one way to read a YAML config file (policies, rate-limit
 * configs, mesh files): multi-document YAML into {@link YamlDocument}s, keeping the location of
 * every key and value. It uses SnakeYAML's node API rather than data binding so that no location is
 * lost, and it never constructs Java objects a file names: a custom tag is refused.
 *
 * <p>A map holds each key once: a duplicate key is refused with both locations. Scalars are read as
 * YAML 1.2 does: only {@code true} and {@code false} are booleans ({@code yes}, {@code no}, {@code
 * on}, {@code off} stay strings).
 *
 * <p>Every file gets the same protection against YAML bombs, whoever reads it:
 *
 * <ul>
 *   <li>at most {@value #MAX_CODE_POINTS} code points (16 MiB) in a file;
 *   <li>at most {@value #MAX_NESTING_DEPTH} maps and lists nested in one another;
 *   <li>at most {@value #MAX_ALIASES} aliases to maps and lists in a file;
 *   <li>at most {@value #MAX_ALIASED_VALUES} values read through aliases in a file, so that a few
 *       aliases of aliases cannot expand a small file into a huge one; an alias inside the value it
 *       names is refused.
 * </ul>
 */
public final class YamlReader {
  /** The most code points a file may have: 16 MiB. */
  public static final int MAX_CODE_POINTS = 16 * 1024 * 1024;

  /** The deepest maps and lists may nest. */
  public static final int MAX_NESTING_DEPTH = 50;

  /** The most aliases to maps and lists a file may have. */
  public static final int MAX_ALIASES = 50;

  /** The most values (maps, lists and scalars) a file may reach through aliases. */
  public static final int MAX_ALIASED_VALUES = 10_000;

  /**
   * Most characters in a row without white space. SnakeYAML's scanner copies the unread part of its
   * window each time it looks further ahead inside such a run, so the time to read one grows with
   * the square of its length: 2 Mi characters take seconds, 16 Mi minutes, and a reload would stall
   * that long. Policy values are short; a longer one (a certificate, a key set) belongs in a block
   * scalar broken over lines.
   */
  public static final int MAX_RUN_WITHOUT_SPACE = 256 * 1024;

  private final String file;
  private final List<ConfigError> errors;
  private final Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Node> open = Collections.newSetFromMap(new IdentityHashMap<>());
  private int aliased;

  private YamlReader(String file, List<ConfigError> errors) {
    this.file = file;
    this.errors = errors;
  }

  /**
   * Parses {@code text}, read from {@code file}. Problems go to {@code errors} with their location
   * and then no document of the file is returned, so a half-read file never contributes. An empty
   * document (e.g. after a trailing {@code ---}) is skipped; a document that is not a map is the
   * problem {@code notAMap}, e.g. "a policy document must be a map".
   */
  public static List<YamlDocument> read(
      String file, String text, String notAMap, List<ConfigError> errors) {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(MAX_CODE_POINTS);
    options.setNestingDepthLimit(MAX_NESTING_DEPTH);
    options.setMaxAliasesForCollections(MAX_ALIASES);
    Yaml yaml = new Yaml(options);
    YamlReader reader = new YamlReader(file, errors);
    List<YamlDocument> docs = new ArrayList<>();
    int before = errors.size();
    Located longRun = longRunWithoutSpace(text);
    if (longRun != null) {
      errors.add(
          longRun.error(
              file,
              "YAML error: more than "
                  + MAX_RUN_WITHOUT_SPACE
                  + " characters without white space; break the value over lines (a block"
                  + " scalar) or move it to a file of its own"));
      return List.of();
    }
    try {
      for (Node node : yaml.composeAll(new StringReader(text))) {
        if (node == null || Tag.NULL.equals(node.getTag())) {
          continue;
        }
        Located start = located(node.getStartMark());
        if (!(node instanceof MappingNode)) {
          errors.add(start.error(file, notAMap));
          continue;
        }
        Map<String, Located> locations = new HashMap<>();
        Map<String, YamlDocument.Scalar> scalars = new HashMap<>();
        @SuppressWarnings("unchecked")
        Map<String, Object> root =
            (Map<String, Object>) reader.convert(node, "", locations, scalars);
        docs.add(new YamlDocument(file, root, locations, scalars, start));
      }
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      Located l = m == null ? Located.UNKNOWN : located(m);
      String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
      String context = e.getContext() != null ? " (" + e.getContext() + ")" : "";
      String line = m == null ? "" : lineAt(text, m.getLine());
      String near = line.isEmpty() ? "" : " at '" + line + "'";
      errors.add(l.error(file, "YAML syntax error: " + problem + context + near));
    } catch (YAMLException e) {
      errors.add(ConfigError.of(file, "YAML error: " + e.getMessage()));
    } catch (Refused e) {
      errors.add(e.at.error(file, "YAML error: " + e.getMessage()));
    }
    return errors.size() > before ? List.of() : docs;
  }

  /** A value the reader will not expand; ends the file. */
  private static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Located at;

    Refused(Located at, String message) {
      super(message, null, false, false);
      this.at = at;
    }
  }

  private Object convert(
      Node node,
      String path,
      Map<String, Located> locations,
      Map<String, YamlDocument.Scalar> scalars) {
    Located here = located(node.getStartMark());
    if (!seen.add(node) && ++aliased > MAX_ALIASED_VALUES) {
      throw new Refused(
          here,
          "aliases expand to more than "
              + MAX_ALIASED_VALUES
              + " values; write the values out or use fewer aliases");
    }
    locations.put(path, here);
    if (node instanceof ScalarNode s) {
      scalars.put(path, new YamlDocument.Scalar(s.getValue(), style(s.getScalarStyle())));
      return scalar(s);
    }
    if (!open.add(node)) {
      throw new Refused(here, "an alias inside the value it names");
    }
    try {
      return node instanceof MappingNode map
          ? map(map, path, locations, scalars)
          : list((SequenceNode) node, path, locations, scalars);
    } finally {
      open.remove(node);
    }
  }

  private Map<String, Object> map(
      MappingNode map,
      String path,
      Map<String, Located> locations,
      Map<String, YamlDocument.Scalar> scalars) {
    Map<String, Object> out = YamlDocument.newMap();
    // Composing nodes skips SnakeYAML's own duplicate check, so it is done here.
    Map<String, Located> keys = new HashMap<>();
    for (NodeTuple t : map.getValue()) {
      Node k = t.getKeyNode();
      Located here = located(k.getStartMark());
      if (!(k instanceof ScalarNode ks)) {
        errors.add(here.error(file, "map keys must be plain strings"));
        continue;
      }
      String key = ks.getValue();
      Located first = keys.putIfAbsent(key, here);
      if (first != null) {
        errors.add(
            here.error(
                file,
                "duplicate key '"
                    + key
                    + "' (first at "
                    + file
                    + ":"
                    + first.line()
                    + ":"
                    + first.column()
                    + "); a map holds each key once"));
        continue;
      }
      String child = YamlDocument.child(path, key);
      locations.put(child + "#key", here);
      out.put(key, convert(t.getValueNode(), child, locations, scalars));
    }
    return out;
  }

  private List<Object> list(
      SequenceNode seq,
      String path,
      Map<String, Located> locations,
      Map<String, YamlDocument.Scalar> scalars) {
    List<Object> out = new ArrayList<>();
    List<Node> items = seq.getValue();
    for (int i = 0; i < items.size(); i++) {
      out.add(convert(items.get(i), YamlDocument.item(path, i), locations, scalars));
    }
    return out;
  }

  private Object scalar(ScalarNode s) {
    Tag tag = s.getTag();
    String v = s.getValue();
    try {
      if (Tag.NULL.equals(tag)) {
        return null;
      }
      if (Tag.BOOL.equals(tag)) {
        // YAML 1.2 booleans only: "no", "yes", "on", "off" stay strings (a handler named "no"
        // is a name, not false).
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
          return Boolean.parseBoolean(v.toLowerCase(Locale.ROOT));
        }
        return v;
      }
      if (Tag.INT.equals(tag)) {
        return Long.decode(v.replace("_", ""));
      }
      if (Tag.FLOAT.equals(tag)) {
        return Double.parseDouble(v.replace("_", ""));
      }
    } catch (NumberFormatException e) {
      errors.add(located(s.getStartMark()).error(file, "not a number: " + v));
      return null;
    }
    if (!Tag.STR.equals(tag)) {
      errors.add(located(s.getStartMark()).error(file, "unsupported YAML tag " + tag));
    }
    return v;
  }

  private static YamlDocument.ScalarStyle style(DumperOptions.ScalarStyle st) {
    return switch (st) {
      case PLAIN -> YamlDocument.ScalarStyle.PLAIN;
      case SINGLE_QUOTED, DOUBLE_QUOTED -> YamlDocument.ScalarStyle.QUOTED;
      default -> YamlDocument.ScalarStyle.BLOCK;
    };
  }

  /** Line {@code index} (0-based) of {@code text}, stripped and cut to 60 characters. */
  private static String lineAt(String text, int index) {
    String line = text.lines().skip(index).findFirst().orElse("").strip();
    return line.length() > 60 ? line.substring(0, 57) + "..." : line;
  }

  /**
   * Where the first run of more than {@link #MAX_RUN_WITHOUT_SPACE} non-blank characters starts.
   */
  static Located longRunWithoutSpace(String text) {
    int line = 1;
    int lineStart = 0;
    int runStart = 0;
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        runStart = i + 1;
        if (c == '\n') {
          line++;
          lineStart = i + 1;
        }
      } else if (i - runStart >= MAX_RUN_WITHOUT_SPACE) {
        return new Located(line, text.codePointCount(lineStart, runStart) + 1);
      }
    }
    return null;
  }

  private static Located located(Mark m) {
    return new Located(m.getLine() + 1, m.getColumn() + 1);
  }
}
