package io.tollgate.adapter.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code HandlerSpec} is what an adapter is given to build a handler.
 *
 * @param name the handler's configured name
 * @param params the configured params; problems go to {@code params.errors()}
 * @param baseDir the policy directory, against which relative file names resolve
 * @param watchFile register a file the handler reads: when it changes, the policy is reloaded and
 *     the handler rebuilt (and if the new content is bad, the old handler keeps serving). The
 *     server refuses, by throwing, a file that leads outside the policy directory
 * @param quotas the server's shared quotas, for handlers of the {@code quota} template
 * @param services objects the server offers built-in adapters by type (its Prometheus registry); a
 *     plugin sees only the SPI and so can use none of them
 */
public record HandlerSpec(
    String name,
    Params params,
    Path baseDir,
    Consumer<Path> watchFile,
    Quotas quotas,
    Map<Class<?>, Object> services) {

  public HandlerSpec {
    quotas = quotas == null ? Quotas.NONE : quotas;
    services = services == null ? Map.of() : Map.copyOf(services);
  }

  /** A spec without quotas or services. */
  public HandlerSpec(String name, Params params, Path baseDir, Consumer<Path> watchFile) {
    this(name, params, baseDir, watchFile, Quotas.NONE, Map.of());
  }

  /** A spec without services. */
  public HandlerSpec(
      String name, Params params, Path baseDir, Consumer<Path> watchFile, Quotas quotas) {
    this(name, params, baseDir, watchFile, quotas, Map.of());
  }

  /** The server's service of {@code type}, if it offers one. */
  public <T> Optional<T> service(Class<T> type) {
    Object s = services.get(type);
    return type.isInstance(s) ? Optional.of(type.cast(s)) : Optional.empty();
  }

  /**
   * Resolves a configured file name against the policy directory and watches it. The server throws
   * (and fails the handler, naming the file) when the name or a link on the way leads outside the
   * policy directory: a policy reads only files inside it.
   */
  public Path file(String configured) {
    Path p = baseDir.resolve(configured).normalize();
    watchFile.accept(p);
    return p;
  }
}
