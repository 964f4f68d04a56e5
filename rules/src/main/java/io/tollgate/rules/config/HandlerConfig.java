package io.tollgate.rules.config;

import io.tollgate.common.config.YamlDocument;
import java.time.Duration;
import java.util.Map;

/**
 * {@code HandlerConfig} is a {@code kind: Handler} document: an adapter with params.
 *
 * @param name unique among handlers
 * @param adapter the adapter's name
 * @param params the adapter's params, validated by the adapter
 * @param failOpen whether a failing or late handler lets the request pass (default: it denies)
 * @param timeout deadline for a handler that blocks, or {@code null} for the runtime's default
 * @param cache decision cache settings, or {@code null} for none
 * @param doc where it was written
 */
public record HandlerConfig(
    String name,
    String adapter,
    Map<String, Object> params,
    boolean failOpen,
    Duration timeout,
    Cache cache,
    YamlDocument doc) {

  /**
   * Adds a problem, located at the key, for each param not in {@code known}: for adapters whose
   * params are fixed, like the policy engines'.
   */
  public void refuseUnknownParams(java.util.List<String> known, Problems problems) {
    for (String k : params.keySet()) {
      if (!known.contains(k)) {
        problems.atKey(
            doc,
            "params." + k,
            "unknown param '" + k + "'; the " + adapter + " adapter takes " + known);
      }
    }
  }

  /**
   * A handler's decision cache: results are reused for requests that agree on every attribute in
   * {@code attributes} (and on the instances sent), for {@code ttl}, at most {@code maxEntries}.
   */
  public record Cache(java.util.List<String> attributes, Duration ttl, long maxEntries) {}
}
