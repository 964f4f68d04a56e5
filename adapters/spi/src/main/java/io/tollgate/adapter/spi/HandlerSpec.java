package io.tollgate.adapter.spi;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * {@code HandlerSpec} is what an adapter is given to build a handler.
 *
 * @param name the handler's configured name
 * @param params the configured params; problems go to {@code params.errors()}
 * @param baseDir the policy directory, against which relative file names resolve
 * @param watchFile register a file the handler reads: when it changes, the policy is reloaded and
 *     the handler rebuilt (and if the new content is bad, the old handler keeps serving)
 * @param quotas the server's shared quotas, for handlers of the {@code quota} template
 */
public record HandlerSpec(String name, Params params, Path baseDir, Consumer<Path> watchFile, Quotas quotas) {

  public HandlerSpec {
    quotas = quotas == null ? Quotas.NONE : quotas;
  }

  /** A spec without quotas. */
  public HandlerSpec(String name, Params params, Path baseDir, Consumer<Path> watchFile) {
    this(name, params, baseDir, watchFile, Quotas.NONE);
  }

  /** Resolves a configured file name against the policy directory and watches it. */
  public Path file(String configured) {
    Path p = baseDir.resolve(configured).normalize();
    watchFile.accept(p);
    return p;
  }
}
