package io.tollgate.rules.plugins;

import io.tollgate.adapter.spi.Adapter;
import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;

/**
 * {@code SpiOnlyClassLoader} is the parent of every plugin's class loader. It exposes the JDK (via
 * the platform loader) and the {@code io.tollgate.adapter.spi} package, and nothing else of
 * Tollgate's class path, so a plugin cannot depend on Tollgate internals or clash with its
 * libraries: a plugin brings its own dependencies in its jar.
 */
final class SpiOnlyClassLoader extends ClassLoader {
  private static final String SPI_PACKAGE = Adapter.class.getPackageName() + ".";
  private static final ClassLoader SPI_LOADER = Adapter.class.getClassLoader();

  static {
    registerAsParallelCapable();
  }

  SpiOnlyClassLoader() {
    super("tollgate-spi", ClassLoader.getPlatformClassLoader());
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    if (name.startsWith(SPI_PACKAGE)) {
      return SPI_LOADER.loadClass(name);
    }
    throw new ClassNotFoundException(name);
  }

  @Override
  protected URL findResource(String name) {
    return null;
  }

  @Override
  protected Enumeration<URL> findResources(String name) throws IOException {
    return Collections.emptyEnumeration();
  }
}
