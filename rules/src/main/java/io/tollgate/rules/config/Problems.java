package io.tollgate.rules.config;

import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.Located;
import io.tollgate.common.config.YamlDocument;
import java.util.ArrayList;
import java.util.List;

/** {@code Problems} collects config errors, locating each by document and path. Not thread-safe. */
public final class Problems {
  private final List<ConfigError> errors = new ArrayList<>();

  /** Reports a problem with the value at {@code path} of {@code doc}. */
  public void at(YamlDocument doc, String path, String message) {
    Located l = doc.at(path);
    errors.add(new ConfigError(doc.file(), l.line(), l.column(), message));
  }

  /** Reports a problem with the key of the map entry at {@code path}. */
  public void atKey(YamlDocument doc, String path, String message) {
    Located l = doc.keyAt(path);
    errors.add(new ConfigError(doc.file(), l.line(), l.column(), message));
  }

  public void add(ConfigError e) {
    errors.add(e);
  }

  public List<ConfigError> list() {
    return errors;
  }

  public boolean isEmpty() {
    return errors.isEmpty();
  }

  public int size() {
    return errors.size();
  }
}
