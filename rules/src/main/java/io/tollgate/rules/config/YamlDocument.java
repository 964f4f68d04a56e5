package io.tollgate.rules.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code YamlDocument} is one YAML document of a policy file as plain Java values (maps, lists,
 * strings, longs, doubles, booleans) together with the location of every key and value.
 *
 * <p>Locations are keyed by path: {@code kind}, {@code params.entries[2]}, {@code
 * actions[0].handler}. The path of a map entry's key is the path of its value with {@code #key}
 * appended.
 */
public final class YamlDocument {
  private final String file;
  private final Map<String, Object> root;
  private final Map<String, Located> locations;
  private final Map<String, ScalarStyle> styles;
  private final Located start;

  /** How a scalar was written: it changes how a column inside it maps to a column in the file. */
  public enum ScalarStyle {
    PLAIN,
    QUOTED,
    BLOCK
  }

  YamlDocument(
      String file,
      Map<String, Object> root,
      Map<String, Located> locations,
      Map<String, ScalarStyle> styles,
      Located start) {
    this.file = file;
    this.root = Collections.unmodifiableMap(root);
    this.locations = Map.copyOf(locations);
    this.styles = Map.copyOf(styles);
    this.start = start;
  }

  /** The file this document came from, relative to the policy directory. */
  public String file() {
    return file;
  }

  /** The document's top-level map. */
  public Map<String, Object> root() {
    return root;
  }

  /** Where the document starts. */
  public Located start() {
    return start;
  }

  /**
   * Where the value at {@code path} is; falls back to its closest enclosing value, then to the
   * document's start.
   */
  public Located at(String path) {
    String p = path;
    while (true) {
      Located l = locations.get(p);
      if (l != null) {
        return l;
      }
      int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) {
        return start;
      }
      p = p.substring(0, cut);
    }
  }

  /** How the scalar at {@code path} was written, or plain if unknown. */
  public ScalarStyle styleAt(String path) {
    return styles.getOrDefault(path, ScalarStyle.PLAIN);
  }

  /** Where the key of the map entry at {@code path} is. */
  public Located keyAt(String path) {
    Located l = locations.get(path + "#key");
    return l != null ? l : at(path);
  }

  static Map<String, Object> newMap() {
    return new LinkedHashMap<>();
  }
}
