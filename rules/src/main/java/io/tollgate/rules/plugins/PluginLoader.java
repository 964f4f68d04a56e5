package io.tollgate.rules.plugins;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.common.config.ConfigError;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PluginLoader} loads adapter plugin jars from a directory. A jar is loaded once and reused
 * while its size and modification time stay the same; a changed jar gets a new class loader.
 *
 * <p>Not thread-safe: the policy runtime calls it from its single reloading thread.
 */
public final class PluginLoader {
  private static final Logger log = LoggerFactory.getLogger(PluginLoader.class);

  private record Loaded(long size, long modified, URLClassLoader loader, List<Adapter> adapters) {}

  private final Path dir;
  private final Map<Path, Loaded> cache = new HashMap<>();

  public PluginLoader(Path dir) {
    this.dir = dir;
  }

  /**
   * The adapters of every jar in the directory. A jar that cannot be read or whose adapters cannot
   * be created is reported in {@code errors} under {@code plugins/<jar>}.
   */
  public List<LoadedAdapter> load(List<ConfigError> errors) {
    List<LoadedAdapter> out = new ArrayList<>();
    if (dir == null) {
      return out;
    }
    if (!Files.isDirectory(dir)) {
      errors.add(
          ConfigError.of(dir.toString(), "plugins directory does not exist or is not a directory"));
      return out;
    }
    List<Path> jars;
    try (Stream<Path> s = Files.list(dir)) {
      jars = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
    } catch (IOException e) {
      errors.add(
          ConfigError.of(dir.toString(), "cannot list plugins directory: " + e.getMessage()));
      return out;
    }
    Map<Path, Loaded> seen = new HashMap<>();
    for (Path jar : jars) {
      String name = "plugins/" + jar.getFileName();
      try {
        long size = Files.size(jar);
        long modified = Files.getLastModifiedTime(jar).toMillis();
        Loaded l = cache.get(jar);
        if (l == null || l.size != size || l.modified != modified) {
          l = open(jar, name, size, modified, errors);
        }
        if (l != null) {
          seen.put(jar, l);
          for (Adapter a : l.adapters) {
            out.add(new LoadedAdapter(a, name));
          }
        }
      } catch (IOException e) {
        errors.add(ConfigError.of(name, "cannot read plugin jar: " + e.getMessage()));
      }
    }
    cache.clear();
    cache.putAll(seen);
    return out;
  }

  private static Loaded open(
      Path jar, String name, long size, long modified, List<ConfigError> errors)
      throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      if (zip.getEntry("META-INF/services/" + Adapter.class.getName()) == null) {
        errors.add(
            ConfigError.of(
                name,
                "plugin jar has no META-INF/services/"
                    + Adapter.class.getName()
                    + " entry naming its adapter classes"));
        return null;
      }
    } catch (ZipException e) {
      errors.add(
          ConfigError.of(name, "plugin jar is not a valid jar file (" + e.getMessage() + ")"));
      return null;
    }
    URLClassLoader loader =
        new URLClassLoader(
            "plugin:" + jar.getFileName(),
            new URL[] {jar.toUri().toURL()},
            new SpiOnlyClassLoader());
    List<Adapter> adapters = new ArrayList<>();
    Iterator<Adapter> it = ServiceLoader.load(Adapter.class, loader).iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          break;
        }
        adapters.add(it.next());
      } catch (ServiceConfigurationError | LinkageError e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        errors.add(
            ConfigError.of(
                name, "cannot create adapter: " + e.getMessage() + " (caused by " + cause + ")"));
        closeQuietly(loader);
        return null;
      }
    }
    log.info("loaded plugin {}: adapters {}", name, adapters.stream().map(Adapter::name).toList());
    return new Loaded(size, modified, loader, List.copyOf(adapters));
  }

  private static void closeQuietly(URLClassLoader loader) {
    try {
      loader.close();
    } catch (IOException e) {
      log.debug("closing plugin class loader", e);
    }
  }
}
