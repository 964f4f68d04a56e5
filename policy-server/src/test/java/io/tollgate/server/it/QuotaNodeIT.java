package io.tollgate.server.it;

import static io.tollgate.server.it.QuotaClusterIT.admitted;
import static io.tollgate.server.it.QuotaClusterIT.ask;
import static io.tollgate.server.it.QuotaClusterIT.drive;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.service.ratelimit.v3.RateLimitResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tollgate.testing.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dedicated data tier: two {@code tollgate quota-node} JVMs hold the quotas, two policy servers
 * (JVMs of their own) connect as Hazelcast clients and share one limit; without the nodes the
 * servers answer by each domain's failure mode and say they are not ready, and they recover when a
 * node is back.
 */
class QuotaNodeIT {
  static final int LIMIT = 200;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  static HttpResponse<String> admin(ServerProcess s, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.adminPort + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The sum of a metric's samples whose line starts with {@code prefix}. */
  static double metric(ServerProcess s, String prefix) throws Exception {
    double sum = 0;
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(prefix) + "[^ ]* ([0-9.eE+-]+)$")
            .matcher(admin(s, "/metrics").body());
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }

  @Test
  void policyServersAsClientsOfQuotaNodesShareOneLimit() throws Exception {
    io.tollgate.server.BundledPolicy.copyTo(dir);
    Files.writeString(
        dir.resolve("limits.yaml"),
        """
        domain: edge
        descriptors:
          - key: tenant
            rate_limit: {unit: hour, requests_per_unit: %d}
        """
            .formatted(LIMIT));
    Files.writeString(
        dir.resolve("closed.yaml"),
        """
        domain: payments
        failure_mode_deny: true
        descriptors:
          - key: tenant
            rate_limit: {unit: hour, requests_per_unit: 1000}
        """);
    int[] ports = {FreePorts.next(), FreePorts.next()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
    List<ServerProcess> nodes = new ArrayList<>();
    List<ServerProcess> servers = new ArrayList<>();
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int p : ports) {
        nodes.add(
            ServerProcess.quotaNode(
                "--quota-port", Integer.toString(p), "--quota-members", members));
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> metric(nodes.get(0), "tollgate_quota_cluster_members") == 2);
      assertThat(admin(nodes.get(0), "/readyz").statusCode()).isEqualTo(200);
      for (int i = 0; i < 2; i++) {
        // A generous deadline: this test is about one shared limit, not about deadlines on a busy
        // machine.
        servers.add(
            ServerProcess.start(
                "--policy",
                dir.toString(),
                "--quota-client",
                "true",
                "--quota-members",
                members,
                "--quota-timeout",
                "5s"));
        channels.add(
            NettyChannelBuilder.forAddress("127.0.0.1", servers.get(i).grpcPort)
                .usePlaintext()
                .build());
      }
      for (ServerProcess s : servers) {
        await().atMost(Duration.ofSeconds(60)).until(() -> admin(s, "/readyz").statusCode() == 200);
      }

      int admitted = drive(channels, "t1", 2, 150, null);
      assertThat(
              metric(servers.get(0), "tollgate_ratelimit_failures_total")
                  + metric(servers.get(1), "tollgate_ratelimit_failures_total"))
          .as("decisions the cluster could not make (answered by the failure mode)")
          .isZero();
      assertThat(admitted).as("600 attempts over 2 client servers").isEqualTo(LIMIT);
      assertThat(
              metric(nodes.get(0), "tollgate_quota_buckets")
                  + metric(nodes.get(1), "tollgate_quota_buckets"))
          .as("the buckets live on the nodes")
          .isEqualTo(1);
      assertThat(metric(servers.get(0), "tollgate_quota_buckets"))
          .as("a client owns none")
          .isZero();

      // Without the nodes: each domain's failure mode answers, fast, and readiness says why.
      for (ServerProcess n : nodes) {
        n.kill();
      }
      ServerProcess s0 = servers.get(0);
      await().atMost(Duration.ofSeconds(60)).until(() -> admin(s0, "/readyz").statusCode() == 503);
      assertThat(admin(s0, "/readyz").body())
          .contains("quota cluster")
          .contains("cannot be reached");
      long start = System.nanoTime();
      assertThat(ask(channels.get(0), "edge", "t1"))
          .as("edge fails open")
          .isEqualTo(RateLimitResponse.Code.OK);
      assertThat(ask(channels.get(0), "payments", "t1"))
          .as("payments fails closed")
          .isEqualTo(RateLimitResponse.Code.OVER_LIMIT);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("no waiting for a dead cluster")
          .isLessThan(Duration.ofSeconds(5));
      assertThat(metric(s0, "tollgate_ratelimit_failures_total{answer=\"ok\",domain=\"edge\""))
          .isGreaterThanOrEqualTo(1);
      assertThat(
              metric(
                  s0,
                  "tollgate_ratelimit_failures_total{answer=\"over_limit\",domain=\"payments\""))
          .isGreaterThanOrEqualTo(1);

      // A node comes back; the clients reconnect and limits hold again.
      nodes.set(
          0,
          ServerProcess.quotaNode(
              "--quota-port", Integer.toString(ports[0]), "--quota-members", members));
      for (ServerProcess s : servers) {
        await().atMost(Duration.ofSeconds(90)).until(() -> admin(s, "/readyz").statusCode() == 200);
      }
      assertThat(drive(channels, "t2", 2, 150, null)).isEqualTo(LIMIT);
      assertThat(admitted(channels.get(1), "t2")).isFalse();
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      for (ServerProcess s : servers) {
        s.close();
      }
      for (ServerProcess n : nodes) {
        n.close();
      }
    }
  }
}
