package io.tollgate.rules.snapshot;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.rules.config.HandlerConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code DecisionCache} remembers a cacheable handler's results. The key is the value of every
 * attribute the handler declared it reads (a whole attribute, or one header written {@code
 * request.headers["x-user"]}), plus the instance it was sent, compared by value; two requests share
 * an entry only when all of these are equal. Bounded in size, entries expire a fixed time after
 * they were written; failures are never cached. Thread-safe.
 */
public final class DecisionCache {
  private final List<String> attributes;
  private final Cache<Key, CheckResult> cache;

  /** The cache key: the declared attributes' values in order, and the instance. */
  public record Key(List<Object> values, Instance instance) {}

  public DecisionCache(HandlerConfig.Cache config) {
    this.attributes = config.attributes();
    this.cache =
        CacheBuilder.newBuilder()
            .maximumSize(config.maxEntries())
            .expireAfterWrite(config.ttl())
            .build();
  }

  public Key key(Attributes a, Instance instance) {
    List<Object> values = new ArrayList<>(attributes.size());
    for (String name : attributes) {
      String header = headerName(name);
      if (header != null) {
        values.add(a.header(header));
      } else {
        values.add(
            name.equals(io.tollgate.adapter.spi.Vocabulary.REQUEST_HEADERS)
                ? a.headers()
                : a.get(name));
      }
    }
    return new Key(values, instance);
  }

  /** {@code x-user} for a key written {@code request.headers["x-user"]}, else {@code null}. */
  public static String headerName(String key) {
    String prefix = io.tollgate.adapter.spi.Vocabulary.REQUEST_HEADERS + "[";
    if (key.startsWith(prefix) && key.endsWith("]")) {
      String inner = key.substring(prefix.length(), key.length() - 1).strip();
      if (inner.length() >= 2
          && (inner.startsWith("\"") && inner.endsWith("\"")
              || inner.startsWith("'") && inner.endsWith("'"))) {
        inner = inner.substring(1, inner.length() - 1);
      }
      return inner.isEmpty() ? null : inner.toLowerCase(java.util.Locale.ROOT);
    }
    return null;
  }

  public CheckResult get(Key k) {
    return cache.getIfPresent(k);
  }

  public void put(Key k, CheckResult r) {
    cache.put(k, r);
  }

  public long size() {
    return cache.size();
  }
}
