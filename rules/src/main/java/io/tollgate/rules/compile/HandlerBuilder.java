package io.tollgate.rules.compile;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.ConfigErrors;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.Params;
import io.tollgate.adapter.spi.ReportHandler;
import io.tollgate.rules.RuntimeOptions;
import io.tollgate.rules.config.HandlerConfig;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.plugins.AdapterRegistry;
import io.tollgate.rules.plugins.LoadedAdapter;
import io.tollgate.rules.snapshot.DecisionCache;
import io.tollgate.rules.snapshot.HandlerEntry;
import io.tollgate.rules.snapshot.PolicySnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code HandlerBuilder} builds the handlers that a policy's {@code Handler} documents configure:
 * an adapter's handler (reused from the previous version when its config and the files it read are
 * unchanged), and the decision cache a config asks for; policy engines build their own. Problems go
 * to the compile's {@link Problems}, located in the document. Not thread-safe, like the compile.
 */
public final class HandlerBuilder {
  private final RuntimeOptions options;
  private final Set<String> engineAdapters;

  /**
   * @param engineAdapters the adapter names of the policy engines, named among the available ones
   */
  public HandlerBuilder(RuntimeOptions options, Set<String> engineAdapters) {
    this.options = options;
    this.engineAdapters = Set.copyOf(engineAdapters);
  }

  /** Gives {@code e} the decision cache its config asks for, if its handler allows one. */
  public static HandlerEntry cached(HandlerConfig hc, HandlerEntry e, Problems problems) {
    if (e == null || hc.cache() == null) {
      return e;
    }
    if (e.checkHandler() == null || !e.checkHandler().cacheable()) {
      problems.atKey(
          hc.doc(),
          "cache",
          "handler '"
              + hc.name()
              + "' (adapter "
              + hc.adapter()
              + ") does not declare its results cacheable; remove 'cache'");
      return e;
    }
    return e.withCache(new DecisionCache(hc.cache()));
  }

  public HandlerEntry buildHandler(
      HandlerConfig hc, AdapterRegistry registry, PolicySnapshot previous, Problems problems) {
    LoadedAdapter la = registry.get(hc.adapter());
    if (la == null) {
      Set<String> known = new TreeSet<>(registry.names());
      known.addAll(engineAdapters);
      problems.at(
          hc.doc(),
          "adapter",
          "unknown adapter '"
              + hc.adapter()
              + "'; available adapters: "
              + known
              + " (plugins go in the plugins directory)");
      return null;
    }
    Adapter adapter = la.adapter();
    Signature key = new Signature(hc.adapter(), la.origin(), adapter, hc.params());
    if (previous != null) {
      HandlerEntry old = previous.handlers().get(hc.name());
      if (old != null && old.reuseKey().equals(key) && unchanged(old.fileStamps())) {
        return new HandlerEntry(
                hc.name(),
                old.adapter(),
                old.templates(),
                old.handler(),
                hc.failOpen(),
                hc.timeout() != null ? hc.timeout() : options.blockingTimeout(),
                key,
                old.fileStamps())
            .withQuarantine(old.quarantine());
      }
    }
    int before = problems.size();
    ConfigErrors errors =
        new ConfigErrors() {
          private boolean any;

          @Override
          public void add(String field, String message) {
            any = true;
            String path = field == null || field.isEmpty() ? "params" : "params." + field;
            problems.at(
                hc.doc(),
                path,
                "handler '"
                    + hc.name()
                    + "' (adapter "
                    + hc.adapter()
                    + "): "
                    + (field == null || field.isEmpty() ? "" : field + ": ")
                    + message);
          }

          @Override
          public boolean isEmpty() {
            return !any;
          }
        };
    Map<Path, String> stamps = new HashMap<>();
    List<String> refused = new ArrayList<>();
    HandlerSpec spec =
        new HandlerSpec(
            hc.name(),
            new Params(hc.params(), errors),
            options.policyDir(),
            p -> {
              try {
                PolicyFiles.inside(options.policyDir(), p);
              } catch (PolicyFiles.OutsideException e) {
                refused.add(e.getMessage());
                throw e;
              }
              stamps.put(p, PolicyFiles.stamp(p));
            },
            options.quotas(),
            options.services());
    Handler h = null;
    Set<String> templates = Set.of();
    Throwable failed = null;
    try {
      templates = Set.copyOf(adapter.templates());
      h = adapter.build(spec);
    } catch (Exception | LinkageError e) {
      failed = e;
    }
    if (!refused.isEmpty()) {
      // Whatever the adapter made of the refusal, the handler is not built.
      for (String r : refused) {
        problems.at(
            hc.doc(), "params", "handler '" + hc.name() + "' (adapter " + hc.adapter() + "): " + r);
      }
      if (h != null) {
        PolicyCompiler.closeQuietly(h);
      }
      return null;
    }
    if (failed != null) {
      problems.at(
          hc.doc(),
          "adapter",
          "adapter '"
              + hc.adapter()
              + "' ("
              + la.origin()
              + ") failed to build handler '"
              + hc.name()
              + "': "
              + failed);
      return null;
    }
    if (problems.size() > before || h == null) {
      if (h != null) {
        PolicyCompiler.closeQuietly(h);
      } else if (problems.size() == before) {
        problems.at(hc.doc(), "adapter", "adapter '" + hc.adapter() + "' built no handler");
      }
      return null;
    }
    if (!(h instanceof CheckHandler) && !(h instanceof ReportHandler)) {
      problems.at(
          hc.doc(),
          "adapter",
          "adapter '" + hc.adapter() + "' makes handlers that neither decide nor report");
      PolicyCompiler.closeQuietly(h);
      return null;
    }
    return new HandlerEntry(
        hc.name(),
        hc.adapter(),
        templates,
        h,
        hc.failOpen(),
        hc.timeout() != null ? hc.timeout() : options.blockingTimeout(),
        key,
        Map.copyOf(stamps));
  }

  public static boolean unchanged(Map<Path, String> stamps) {
    for (Map.Entry<Path, String> e : stamps.entrySet()) {
      if (!PolicyFiles.stamp(e.getKey()).equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * What makes two handler configs the same: the adapter (its name, where it was loaded from and
   * the loaded instance, so a reloaded plugin jar builds anew) and the params, compared as values:
   * {@code "1"} and {@code 1} differ.
   *
   * @param params the params as parsed (maps, lists, strings, numbers, booleans)
   */
  public record Signature(
      String adapter, String origin, Adapter instance, Map<String, Object> params) {}
}
