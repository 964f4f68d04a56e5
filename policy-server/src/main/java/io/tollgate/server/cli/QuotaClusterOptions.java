package io.tollgate.server.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code QuotaClusterOptions} say which quota cluster a process joins and where its other members
 * are: the options {@code serve} and {@code quota-node} share.
 */
final class QuotaClusterOptions {
  @Option(
      names = "--quota-cluster-name",
      defaultValue = "tollgate",
      paramLabel = "NAME",
      description =
          "Name of the quota cluster to join or form; members and clients with the same name form one (default: ${DEFAULT-VALUE}).")
  String clusterName;

  @Option(
      names = "--quota-port",
      defaultValue = "5701",
      paramLabel = "PORT",
      description =
          "First port of this process's quota member (Hazelcast); the next ones are tried when it is taken. serve"
              + " starts its member when the policy has rate limits or quota handlers (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--quota-members",
      split = ",",
      paramLabel = "HOST[:PORT]",
      description =
          "The other quota members (TCP-IP discovery, comma-separated), or the quota nodes with serve --quota-client."
              + " Default: none, this member alone.")
  List<String> members = new ArrayList<>();

  @Option(
      names = "--quota-kubernetes-dns",
      paramLabel = "SERVICE-DNS",
      description =
          "Find the other quota members (or the nodes, with serve --quota-client) at the addresses of this headless"
              + " Kubernetes service instead of --quota-members, e.g. tollgate-quota.mesh.svc.cluster.local.")
  String kubernetesDns;
}
