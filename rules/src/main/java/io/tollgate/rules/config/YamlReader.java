package io.tollgate.rules.config;

import io.tollgate.common.config.ConfigError;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * {@code YamlReader} parses multi-document YAML into {@link YamlDocument}s, keeping locations. It
 * uses SnakeYAML's node API rather than data binding so that no location is lost, and it never
 * constructs arbitrary Java objects (custom tags are rejected).
 */
public final class YamlReader {
  private static final int MAX_ALIASES = 50;

  private YamlReader() {}

  /**
   * Parses {@code text}. Syntax errors go to {@code errors} with their location and no document of
   * the file is returned, so a half-parsed file never contributes.
   */
  public static List<YamlDocument> read(String file, String text, List<ConfigError> errors) {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setCodePointLimit(16 * 1024 * 1024);
    Yaml yaml = new Yaml(options);
    List<YamlDocument> docs = new ArrayList<>();
    int before = errors.size();
    try {
      for (Node node : yaml.composeAll(new StringReader(text))) {
        if (node == null || Tag.NULL.equals(node.getTag())) {
          continue; // an empty document, e.g. after a trailing "---"
        }
        Located start = located(node.getStartMark());
        if (!(node instanceof MappingNode)) {
          errors.add(
              new ConfigError(
                  file, start.line(), start.column(), "a policy document must be a map"));
          continue;
        }
        Map<String, Located> locations = new HashMap<>();
        Map<String, YamlDocument.ScalarStyle> styles = new HashMap<>();
        @SuppressWarnings("unchecked")
        Map<String, Object> root =
            (Map<String, Object>) convert(file, node, "", locations, styles, errors);
        docs.add(new YamlDocument(file, root, locations, styles, start));
      }
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      Located l = m == null ? Located.UNKNOWN : located(m);
      String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
      String context = e.getContext() != null ? " (" + e.getContext() + ")" : "";
      errors.add(
          new ConfigError(file, l.line(), l.column(), "YAML syntax error: " + problem + context));
    } catch (YAMLException e) {
      errors.add(ConfigError.of(file, "YAML error: " + e.getMessage()));
    }
    return errors.size() > before ? List.of() : docs;
  }

  private static Object convert(
      String file,
      Node node,
      String path,
      Map<String, Located> locations,
      Map<String, YamlDocument.ScalarStyle> styles,
      List<ConfigError> errors) {
    locations.put(path, located(node.getStartMark()));
    if (node instanceof MappingNode map) {
      Map<String, Object> out = YamlDocument.newMap();
      // Composing nodes skips SnakeYAML's own duplicate check, so it is done here.
      Map<String, Located> keys = new HashMap<>();
      for (NodeTuple t : map.getValue()) {
        Node k = t.getKeyNode();
        if (!(k instanceof ScalarNode ks)) {
          Located l = located(k.getStartMark());
          errors.add(new ConfigError(file, l.line(), l.column(), "map keys must be plain strings"));
          continue;
        }
        String key = ks.getValue();
        Located here = located(k.getStartMark());
        Located first = keys.putIfAbsent(key, here);
        if (first != null) {
          errors.add(
              new ConfigError(
                  file,
                  here.line(),
                  here.column(),
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
        String child = path.isEmpty() ? key : path + "." + key;
        locations.put(child + "#key", located(k.getStartMark()));
        out.put(key, convert(file, t.getValueNode(), child, locations, styles, errors));
      }
      return out;
    }
    if (node instanceof SequenceNode seq) {
      List<Object> out = new ArrayList<>();
      List<Node> items = seq.getValue();
      for (int i = 0; i < items.size(); i++) {
        out.add(convert(file, items.get(i), path + "[" + i + "]", locations, styles, errors));
      }
      return out;
    }
    ScalarNode s = (ScalarNode) node;
    styles.put(path, style(s.getScalarStyle()));
    return scalar(file, s, errors);
  }

  private static Object scalar(String file, ScalarNode s, List<ConfigError> errors) {
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
          return Boolean.parseBoolean(v.toLowerCase(java.util.Locale.ROOT));
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
      Located l = located(s.getStartMark());
      errors.add(new ConfigError(file, l.line(), l.column(), "not a number: " + v));
      return null;
    }
    if (!Tag.STR.equals(tag) && !Tag.BOOL.equals(tag)) {
      Located l = located(s.getStartMark());
      errors.add(new ConfigError(file, l.line(), l.column(), "unsupported YAML tag " + tag));
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

  private static Located located(Mark m) {
    return new Located(m.getLine() + 1, m.getColumn() + 1);
  }
}
