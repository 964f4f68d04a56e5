package io.tollgate.adapters.builtin.quota;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.ConfigErrors;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.Params;
import io.tollgate.adapter.spi.Quotas;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** {@code QuotaAdapter} builds quota handlers; see the package documentation for the params. */
public final class QuotaAdapter implements Adapter {
  private static final Set<String> PARAMS = Set.of("mode", "status", "quotas");
  private static final Set<String> QUOTA =
      Set.of("name", "maxAmount", "validDuration", "overrides");
  private static final Set<String> OVERRIDE = Set.of("dimensions", "maxAmount", "validDuration");

  @Override
  public String name() {
    return "quota";
  }

  @Override
  public String description() {
    return "spends quota instances from the shared quota cluster; denies with 429 and x-ratelimit-* headers when spent";
  }

  @Override
  public Set<String> templates() {
    return Set.of("quota");
  }

  /** One override: the dimension values it applies to, and its limit. */
  private record DimensionOverride(Map<String, String> dimensions, Quotas.Limit limit) {}

  /** One configured quota: its default limit and overrides, in order. */
  private record QuotaConfig(Quotas.Limit limit, List<DimensionOverride> overrides) {}

  @Override
  public Handler build(HandlerSpec spec) {
    Params p = spec.params();
    p.rejectUnknown(PARAMS);
    Quotas.Mode mode = p.enumValue("mode", Quotas.Mode.class, Quotas.Mode.STRICT);
    long status = p.integer("status", 429);
    if (status < 400 || status > 599) {
      p.errors().add("status", "must be an HTTP error status (400-599), not " + status);
    }
    if (!p.has("quotas")) {
      p.errors().add("quotas", "is required: a list of {name, maxAmount, validDuration}");
    }
    Map<String, QuotaConfig> quotas = new HashMap<>();
    List<Map<String, Object>> list = p.maps("quotas");
    for (int i = 0; i < list.size(); i++) {
      String at = "quotas[" + i + "]";
      Params q = new Params(list.get(i), prefixed(p.errors(), at));
      q.rejectUnknown(QUOTA);
      String name = q.string("name", "");
      if (name.isEmpty()) {
        q.errors().add("name", "is required: the name of the quota instance it limits");
      }
      Quotas.Limit limit = limit(q, mode, null);
      List<DimensionOverride> overrides = new ArrayList<>();
      List<Map<String, Object>> os = q.maps("overrides");
      for (int j = 0; j < os.size(); j++) {
        Params o = new Params(os.get(j), prefixed(q.errors(), "overrides[" + j + "]"));
        o.rejectUnknown(OVERRIDE);
        Map<String, String> dims = dimensions(o);
        Quotas.Limit ol = limit(o, mode, limit);
        if (ol != null) {
          overrides.add(new DimensionOverride(dims, ol));
        }
      }
      if (limit != null
          && !name.isEmpty()
          && quotas.putIfAbsent(name, new QuotaConfig(limit, overrides)) != null) {
        q.errors().add("name", "quota '" + name + "' is configured twice");
      }
    }
    return new QuotaHandler(spec.name(), spec.quotas(), Map.copyOf(quotas), (int) status);
  }

  /** A limit from {@code maxAmount} and {@code validDuration}; each defaults to {@code base}'s. */
  private static Quotas.Limit limit(Params p, Quotas.Mode mode, Quotas.Limit base) {
    if (base == null && !p.has("maxAmount")) {
      p.errors().add("maxAmount", "is required: the hits allowed per validDuration");
    }
    if (base == null && !p.has("validDuration")) {
      p.errors().add("validDuration", "is required: the window, such as 1s, 1m or 1h");
    }
    long max = p.integer("maxAmount", base == null ? 0 : base.requests());
    Duration window = p.duration("validDuration", base == null ? null : base.window());
    if (p.has("maxAmount") && max <= 0) {
      p.errors().add("maxAmount", "must be positive, not " + max);
      return null;
    }
    return max > 0 && window != null ? new Quotas.Limit(max, window, mode) : null;
  }

  private static Map<String, String> dimensions(Params o) {
    Map<String, String> dims = new TreeMap<>();
    Object d = o.asMap().get("dimensions");
    if (!(d instanceof Map<?, ?> m) || m.isEmpty()) {
      o.errors()
          .add("dimensions", "is required: a map of dimension name to the value it applies to");
      return dims;
    }
    m.forEach((k, v) -> dims.put(String.valueOf(k), String.valueOf(v)));
    return dims;
  }

  private static ConfigErrors prefixed(ConfigErrors errors, String prefix) {
    return new ConfigErrors() {
      @Override
      public void add(String field, String message) {
        errors.add(field == null || field.isEmpty() ? prefix : prefix + "." + field, message);
      }

      @Override
      public boolean isEmpty() {
        return errors.isEmpty();
      }
    };
  }

  /** Spends one instance's amount from its quota. */
  private record QuotaHandler(
      String name, Quotas quotas, Map<String, QuotaConfig> configs, int status)
      implements CheckHandler {

    @Override
    public CheckResult check(Instance instance, Attributes attributes) {
      QuotaConfig config = configs.get(instance.name());
      if (config == null) {
        throw new IllegalStateException(
            "quota handler '"
                + name
                + "' has no quota named '"
                + instance.name()
                + "'; add it to the handler's params.quotas");
      }
      Object a = instance.values().get("amount");
      long amount = a instanceof Number n ? n.longValue() : 1;
      if (amount < 0) {
        throw new IllegalArgumentException(
            "quota '" + instance.name() + "': amount must not be negative, not " + amount);
      }
      Map<String, String> dims = new TreeMap<>();
      if (instance.values().get("dimensions") instanceof Map<?, ?> m) {
        m.forEach((k, v) -> dims.put(String.valueOf(k), String.valueOf(v)));
      }
      Quotas.Limit limit = config.limit();
      for (DimensionOverride o : config.overrides()) {
        if (dims.entrySet().containsAll(o.dimensions().entrySet())) {
          limit = o.limit();
          break;
        }
      }
      Quotas.Decision d = quotas.tryConsume(key(instance.name(), dims), limit, amount);
      long reset = Math.max(1, (d.untilReset().toMillis() + 999) / 1000);
      List<HeaderOp> headers = new ArrayList<>(4);
      headers.add(HeaderOp.replace("x-ratelimit-limit", Long.toString(d.limit())));
      headers.add(HeaderOp.replace("x-ratelimit-remaining", Long.toString(d.remaining())));
      headers.add(HeaderOp.replace("x-ratelimit-reset", Long.toString(reset)));
      if (d.allowed()) {
        return CheckResult.ok(List.of(), headers);
      }
      headers.add(HeaderOp.replace("retry-after", Long.toString(reset)));
      return new CheckResult(
          false,
          status,
          "quota '" + instance.name() + "' is spent for " + dims + "; it resets in " + reset + "s",
          List.of(),
          headers);
    }

    /**
     * The quota's identity: handler, instance and every dimension, so each combination counts
     * apart.
     */
    private String key(String instance, Map<String, String> dims) {
      StringBuilder b =
          new StringBuilder("quota\u0000").append(name).append('\u0000').append(instance);
      dims.forEach((k, v) -> b.append('\u0000').append(k).append('=').append(v));
      return b.toString();
    }

    @Override
    public boolean blocking() {
      return true; // a strict quota is a round trip to the bucket's owner
    }
  }
}
