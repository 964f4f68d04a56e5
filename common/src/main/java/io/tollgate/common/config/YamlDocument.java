package io.tollgate.common.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code YamlDocument} is one YAML document of a config file, as read by {@link YamlReader}: plain
 * Java values (maps, lists, strings, longs, doubles, booleans, nulls) together with the location of
 * every key and value and the text of every scalar as written.
 *
 * <p>Locations are keyed by path: {@code kind}, {@code params.entries[2]}, {@code
 * actions[0].handler}. The path of a map entry's key is the path of its value with {@code #key}
 * appended.
 */
public final class YamlDocument {
  private final String file;
  private final Map<String, Object> root;
  private final Map<String, Located> locations;
  private final Map<String, Scalar> scalars;
  private final Located start;

  /** How a scalar was written: it changes how a column inside it maps to a column in the file. */
  public enum ScalarStyle {
    PLAIN,
    QUOTED,
    BLOCK
  }

  /**
   * A scalar as written: its text (quotes and escapes resolved, before it is read as a number,
   * boolean or null) and its style.
   */
  record Scalar(String text, ScalarStyle style) {}

  YamlDocument(
      String file,
      Map<String, Object> root,
      Map<String, Located> locations,
      Map<String, Scalar> scalars,
      Located start) {
    this.file = file;
    this.root = Collections.unmodifiableMap(root);
    this.locations = Map.copyOf(locations);
    this.scalars = Map.copyOf(scalars);
    this.start = start;
  }

  /** The file this document came from, as named to {@link YamlReader#read}. */
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
    Scalar s = scalars.get(path);
    return s == null ? ScalarStyle.PLAIN : s.style();
  }

  /**
   * The scalar at {@code path} as written ({@code 010} stays {@code "010"}, {@code "true"} and
   * {@code true} are both {@code "true"}, an empty value is {@code ""}), or null when the value
   * there is a map or a list or there is none.
   */
  public String textAt(String path) {
    Scalar s = scalars.get(path);
    return s == null ? null : s.text();
  }

  /** Where the key of the map entry at {@code path} is. */
  public Located keyAt(String path) {
    Located l = locations.get(path + "#key");
    return l != null ? l : at(path);
  }

  /** The path of the entry {@code key} of the map at {@code path}. */
  public static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The path of item {@code index} of the list at {@code path}. */
  public static String item(String path, int index) {
    return path + "[" + index + "]";
  }

  static Map<String, Object> newMap() {
    return new LinkedHashMap<>();
  }
}
