package io.tollgate.rules.rego;

import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.snapshot.PreparedPolicy;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code RegoBundle} is what one of OPA's two slots holds for a policy version: the rewritten
 * modules and the data document.
 *
 * @param slot 0 or 1
 * @param modules the modules, by file
 * @param sources file to Rego source, to tell whether a new version changed anything
 * @param data the root data document (without the upload marker)
 * @param uploadId the marker that shows OPA holds this bundle
 */
public record RegoBundle(
    int slot,
    Map<String, RegoModule> modules,
    Map<String, String> sources,
    Map<String, Object> data,
    long uploadId)
    implements PreparedPolicy {

  /** {@code data.tollgate.slotN} in Rego, {@code tollgate/slotN} as a path. */
  public String root() {
    return "tollgate.slot" + slot;
  }

  /** The OPA path of a dotted or slashed document name, e.g. {@code envoy.authz.allow}. */
  public String path(String document) {
    return root().replace('.', '/') + "/" + document.replace('.', '/');
  }

  /** Whether some module declares the package of {@code document} or a package above it. */
  public boolean declares(String document) {
    String d = document.replace('/', '.');
    for (RegoModule m : modules.values()) {
      if (d.equals(m.packageName()) || d.startsWith(m.packageName() + ".")) {
        return true;
      }
    }
    return false;
  }

  public Set<String> packages() {
    Set<String> s = new java.util.TreeSet<>();
    modules.values().forEach(m -> s.add(m.packageName()));
    return s;
  }

  /** Its data with the upload marker OPA shows it by. */
  Map<String, Object> withMarker() {
    Map<String, Object> d = new LinkedHashMap<>(data);
    d.put("_tollgate", Map.of("upload", uploadId));
    return d;
  }

  /**
   * Merges data files into one root document, each at its directory's path; collisions are errors.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> mergeData(Map<String, Object> files, List<ConfigError> errors) {
    Map<String, Object> root = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : files.entrySet()) {
      String dir =
          e.getKey().contains("/") ? e.getKey().substring(0, e.getKey().lastIndexOf('/')) : "";
      Map<String, Object> at = root;
      if (!dir.isEmpty()) {
        for (String part : dir.split("/")) {
          Object child = at.computeIfAbsent(part, k -> new LinkedHashMap<String, Object>());
          if (!(child instanceof Map)) {
            errors.add(
                ConfigError.of(
                    e.getKey(),
                    "data at '" + dir + "' collides with a value of another data file"));
            continue;
          }
          at = (Map<String, Object>) child;
        }
      }
      if (e.getValue() instanceof Map<?, ?> m) {
        for (Map.Entry<?, ?> kv : m.entrySet()) {
          if (at.putIfAbsent(String.valueOf(kv.getKey()), kv.getValue()) != null) {
            errors.add(
                ConfigError.of(
                    e.getKey(), "data key '" + kv.getKey() + "' is also set by another data file"));
          }
        }
      } else {
        errors.add(
            ConfigError.of(
                e.getKey(),
                "a data file must hold an object (it is merged at its directory's path)"));
      }
    }
    return root;
  }
}
