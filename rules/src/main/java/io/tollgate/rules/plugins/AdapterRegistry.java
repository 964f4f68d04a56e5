package io.tollgate.rules.plugins;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.common.config.ConfigError;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * {@code AdapterRegistry} is the set of adapters one policy version can use, by name: the built-ins
 * found on the class path and those of the plugin jars.
 */
public final class AdapterRegistry {
  private final Map<String, LoadedAdapter> byName;

  private AdapterRegistry(Map<String, LoadedAdapter> byName) {
    this.byName = Collections.unmodifiableMap(byName);
  }

  /** The built-in adapters: every {@link Adapter} service on Tollgate's own class path. */
  public static List<LoadedAdapter> builtins() {
    List<LoadedAdapter> out = new java.util.ArrayList<>();
    for (Adapter a : ServiceLoader.load(Adapter.class, AdapterRegistry.class.getClassLoader())) {
      out.add(new LoadedAdapter(a, "builtin"));
    }
    return List.copyOf(out);
  }

  /**
   * A registry of {@code adapters}; two adapters with one name are an error naming both origins.
   */
  public static AdapterRegistry of(List<LoadedAdapter> adapters, List<ConfigError> errors) {
    Map<String, LoadedAdapter> m = new TreeMap<>();
    for (LoadedAdapter a : adapters) {
      String name;
      try {
        name = a.adapter().name();
      } catch (RuntimeException | ServiceConfigurationError e) {
        errors.add(ConfigError.of(a.origin(), "adapter name() failed: " + e));
        continue;
      }
      LoadedAdapter prev = m.putIfAbsent(name, a);
      if (prev != null) {
        errors.add(
            ConfigError.of(
                a.origin(),
                "adapter '" + name + "' is already provided by " + prev.origin() + "; rename one"));
      }
    }
    return new AdapterRegistry(m);
  }

  /** The adapter called {@code name}, or {@code null}. */
  public LoadedAdapter get(String name) {
    return byName.get(name);
  }

  /** Every adapter name, sorted. */
  public java.util.Set<String> names() {
    return byName.keySet();
  }
}
