package io.tollgate.rules.snapshot;

import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.Handler;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * {@code HandlerEntry} is a built handler with what the runtime needs to call it and to decide
 * whether the next policy version can reuse it.
 *
 * @param name configured name
 * @param adapter adapter name
 * @param templates templates its adapter accepts
 * @param handler the handler
 * @param failOpen whether its failures let requests pass
 * @param timeout deadline when it blocks
 * @param reuseKey equal keys mean equal config ({@link HandlerBuilder.Signature} for adapters)
 * @param fileStamps the files it read, with their size and modification time when it was built
 * @param cache its decision cache, or {@code null}
 * @param quarantine whether it is held for missing deadlines; follows the handler when reused
 */
public record HandlerEntry(
    String name,
    String adapter,
    Set<String> templates,
    Handler handler,
    boolean failOpen,
    Duration timeout,
    Object reuseKey,
    Map<java.nio.file.Path, String> fileStamps,
    DecisionCache cache,
    Quarantine quarantine) {

  public HandlerEntry(
      String name,
      String adapter,
      Set<String> templates,
      Handler handler,
      boolean failOpen,
      Duration timeout,
      Object reuseKey,
      Map<java.nio.file.Path, String> fileStamps) {
    this(
        name,
        adapter,
        templates,
        handler,
        failOpen,
        timeout,
        reuseKey,
        fileStamps,
        null,
        new Quarantine());
  }

  public HandlerEntry withCache(DecisionCache c) {
    return new HandlerEntry(
        name, adapter, templates, handler, failOpen, timeout, reuseKey, fileStamps, c, quarantine);
  }

  /** This entry with the quarantine of the entry it reuses the handler of. */
  public HandlerEntry withQuarantine(Quarantine q) {
    return new HandlerEntry(
        name, adapter, templates, handler, failOpen, timeout, reuseKey, fileStamps, cache, q);
  }

  /** The handler as a check handler, or {@code null} if it decides nothing. */
  public CheckHandler checkHandler() {
    return handler instanceof CheckHandler c ? c : null;
  }
}
