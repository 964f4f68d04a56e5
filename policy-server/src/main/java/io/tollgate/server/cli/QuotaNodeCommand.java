package io.tollgate.server.cli;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.tollgate.common.lifecycle.ShutdownHooks;
import io.tollgate.quota.HazelcastQuotas;
import io.tollgate.server.ServerConfig;
import io.tollgate.server.admin.AdminServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tollgate quota-node}: a dedicated member of the quota cluster. Policy servers started with
 * {@code --quota-client=true --quota-members=...} keep their quotas here instead of in themselves.
 */
@Command(
    name = "quota-node",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a dedicated quota cluster member (Hazelcast with Bucket4j buckets). Policy servers connect to",
      "these nodes with --quota-client=true --quota-members=HOST:PORT,... and share their limits.",
      "Admin: /healthz /readyz /metrics on --admin-port."
    })
final class QuotaNodeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--bind",
      converter = Addresses.Bind.class,
      defaultValue = "127.0.0.1",
      description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @CommandLine.Mixin QuotaClusterOptions quota;

  @Option(
      names = "--max-buckets",
      defaultValue = "1000000",
      description =
          "Most buckets this node keeps; least recently used go first (default: ${DEFAULT-VALUE}).")
  int maxBuckets;

  @Option(
      names = "--admin-port",
      defaultValue = "15015",
      description = "Admin port: /healthz /readyz /metrics (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    if (maxBuckets < 1 || quota.port < 1 || quota.port > 65535) {
      err.println(
          "tollgate quota-node: --max-buckets must be positive and --quota-port within 1..65535");
      return 2;
    }
    HazelcastQuotas node =
        HazelcastQuotas.start(
            new HazelcastQuotas.Settings(
                quota.clusterName,
                bind,
                quota.port,
                quota.members,
                quota.kubernetesDns,
                maxBuckets,
                ServerConfig.Quota.defaults().timeout()));
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_quota_cluster_members")
        .help("Members of the quota cluster this node sees")
        .callback(cb -> cb.call(node.clusterSize()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("tollgate_quota_buckets")
        .help("Quota buckets this node owns")
        .callback(cb -> cb.call(node.localBuckets()))
        .register(registry);
    AdminServer admin;
    try {
      admin =
          new AdminServer(
              new InetSocketAddress(bind, adminPort),
              null,
              registry,
              () -> node.reachable() ? "" : "the quota member is shutting down",
              "");
    } catch (IOException e) {
      node.close();
      err.println(
          "tollgate quota-node: cannot listen on "
              + bind
              + ":"
              + adminPort
              + " (choose another --admin-port): "
              + e.getMessage());
      return 1;
    }
    admin.start();
    spec.commandLine()
        .getOut()
        .printf(
            "tollgate quota-node: cluster '%s' member on %s, admin on %s:%d%n",
            quota.clusterName, bind, bind, admin.port());
    spec.commandLine().getOut().flush();
    ShutdownHooks.closeOnExitAndWait("tollgate-quota-node-shutdown", admin, node);
    return 0;
  }
}
