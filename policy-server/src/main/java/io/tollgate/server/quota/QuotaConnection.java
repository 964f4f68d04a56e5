package io.tollgate.server.quota;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.adapter.spi.Quotas;
import io.tollgate.quota.HazelcastQuotas;
import io.tollgate.quota.config.ReservedDomains;
import io.tollgate.rules.WarmUp;
import io.tollgate.server.ServerConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code QuotaConnection} is the policy server's way into the quota cluster, opened on first need
 * (a policy with rate limits or quota handlers): an embedded Hazelcast member, or a client of
 * dedicated {@code tollgate quota-node} processes. It is the {@link Quotas} that handlers and the
 * rate-limit service spend from. Thread-safe.
 */
public final class QuotaConnection implements Quotas, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QuotaConnection.class);

  private final String bind;
  private final ServerConfig.Quota config;
  private volatile HazelcastQuotas quotas;
  private boolean closed;

  /**
   * Where warm-up requests spend: under the reserved warm-up domain, apart from every user's
   * bucket.
   */
  static final String WARM_UP_KEYS = ReservedDomains.WARM_UP + '\u001f';

  /** Buckets warm-up requests spent from and that are not discarded yet. */
  private final Set<String> warmUpKeys = ConcurrentHashMap.newKeySet();

  public QuotaConnection(String bind, ServerConfig.Quota config) {
    this.bind = bind;
    this.config = config;
  }

  /** Opens the connection unless it is open: starts the member or the client. */
  public HazelcastQuotas open() {
    HazelcastQuotas q = quotas;
    if (q != null) {
      return q;
    }
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the quota connection is closed");
      }
      if (quotas == null) {
        if (config.client()) {
          quotas =
              HazelcastQuotas.connect(
                  config.clusterName(),
                  config.members(),
                  config.kubernetesServiceDns(),
                  config.timeout());
        } else {
          log.info(
              "starting the embedded quota member on {}:{}+ (members: {})",
              bind,
              config.port(),
              config.kubernetesServiceDns() != null
                  ? "the addresses of " + config.kubernetesServiceDns()
                  : config.members().isEmpty() ? "none, alone" : config.members());
          quotas =
              HazelcastQuotas.start(
                  new HazelcastQuotas.Settings(
                      config.clusterName(),
                      bind,
                      config.port(),
                      config.members(),
                      config.kubernetesServiceDns(),
                      1_000_000,
                      config.timeout()));
        }
      }
      return quotas;
    }
  }

  /** Whether it has been opened. */
  public boolean isOpen() {
    return quotas != null;
  }

  /** Empty when the cluster can be reached; else why not. */
  public String notReadyReason() {
    HazelcastQuotas q = quotas;
    if (q == null) {
      return "the quota cluster is not up";
    }
    if (!q.reachable()) {
      return "the quota cluster at " + config.members() + " cannot be reached (client mode)";
    }
    return "";
  }

  /** How the cluster looks from here, for {@code /api/quotas}. */
  public Map<String, Object> report() {
    HazelcastQuotas q = quotas;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", config.clusterName());
    m.put("role", config.client() ? "client" : "member");
    m.put("open", q != null);
    m.put("reachable", q != null && q.reachable());
    m.put("members", q == null ? 0 : q.clusterSize());
    m.put("memberAddresses", q == null ? java.util.List.of() : q.memberAddresses());
    m.put("localBuckets", q == null ? 0 : q.localBucketsExcept(warmUpKeys));
    return m;
  }

  /**
   * Spends from {@code key}'s bucket. Warm-up requests ({@link WarmUp#active()}) spend from buckets
   * of their own instead, under the reserved warm-up domain, which {@link #discardWarmUp()} forgets
   * afterwards.
   */
  @Override
  public Decision tryConsume(String key, Limit limit, long hits) {
    if (WarmUp.active()) {
      String own = key.startsWith(WARM_UP_KEYS) ? key : WARM_UP_KEYS + "quota\u001f" + key;
      warmUpKeys.add(own);
      return open().tryConsume(own, limit, hits);
    }
    return open().tryConsume(key, limit, hits);
  }

  /** Forgets the buckets warm-up requests spent from, so that no count or dashboard shows them. */
  public void discardWarmUp() {
    HazelcastQuotas q = quotas;
    for (String k : List.copyOf(warmUpKeys)) {
      try {
        if (q != null) {
          q.discard(k);
        }
        warmUpKeys.remove(k);
      } catch (RuntimeException e) {
        log.debug(
            "could not discard warm-up bucket {}; it expires on its own: {}", k, e.toString());
      }
    }
  }

  /** Registers the cluster gauges. */
  public void register(PrometheusRegistry registry) {
    GaugeWithCallback.builder()
        .name("tollgate_quota_cluster_members")
        .help(
            "Members of the quota cluster this server sees (0 until a policy needs quotas, or while a client is cut off)")
        .callback(
            cb -> {
              HazelcastQuotas q = quotas;
              cb.call(q == null ? 0 : q.clusterSize());
            })
        .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_quota_buckets")
        .help("Quota buckets this member owns (0 for a client of quota nodes)")
        .callback(
            cb -> {
              HazelcastQuotas q = quotas;
              cb.call(q == null ? 0 : q.localBucketsExcept(warmUpKeys));
            })
        .register(registry);
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (quotas != null) {
      quotas.close();
    }
  }
}
