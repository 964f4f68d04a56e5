package io.tollgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.Durations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The option groups commands share (mixins) read flags, environment and config file alike. */
class SharedOptionsTest {
  @TempDir Path dir;

  private <T> T parse(T command, Map<String, String> env, String yaml, String... args)
      throws Exception {
    Path file = dir.resolve("tollgate.yaml");
    Files.writeString(file, yaml);
    CommandLine cl = new CommandLine(command);
    cl.setDefaultValueProvider(new DefaultsProvider(env, ConfigFile.read(file)));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.registerConverter(Duration.class, Durations::parse);
    cl.parseArgs(args);
    return command;
  }

  @Test
  void serveTakesTheQuotaClusterOptionsFromFileEnvironmentAndFlags() throws Exception {
    ServeCommand serve =
        parse(
            new ServeCommand(),
            Map.of("TOLLGATE_QUOTA_PORT", "6100"),
            "quota-cluster-name: edge\nquota-port: 6000\nquota-members: a:1,b:2\n",
            "--quota-cluster-name",
            "core");
    var quota = serve.serverConfig().quota();
    assertThat(quota.clusterName()).as("flag over file").isEqualTo("core");
    assertThat(quota.port()).as("environment over file").isEqualTo(6100);
    assertThat(quota.members()).as("from the file").containsExactly("a:1", "b:2");
  }

  @Test
  void serveTakesTheAllOptionsFromTheFile() throws Exception {
    ServeCommand serve =
        parse(
            new ServeCommand(),
            Map.of(),
            "all: true\nmesh: m\nxds-port: 16010\nca-port: 16012\ntrust-domain: example.org\n");
    assertThat(serve.allInOne.runsCa()).isTrue();
    assertThat(serve.allInOne.runsPilot()).isTrue();
    assertThat(serve.allInOne.mesh).isEqualTo(Path.of("m"));
    assertThat(serve.allInOne.xdsPort).isEqualTo(16010);
    assertThat(serve.allInOne.caPort).isEqualTo(16012);
    assertThat(serve.allInOne.trustDomain).isEqualTo("example.org");
    assertThat(serve.allInOne.caStateDir).as("default").isEqualTo(Path.of("tollgate-ca"));
  }

  @Test
  void serveConfigFileMayNameEveryOptionOfItsMixins() throws Exception {
    ServeCommand serve = parse(new ServeCommand(), Map.of(), "{}\n");
    assertThat(serve.optionKeys())
        .contains(
            "quota-cluster-name",
            "quota-port",
            "quota-members",
            "quota-kubernetes-dns",
            "all",
            "mesh",
            "xds-port",
            "ca-port",
            "ca-state-dir",
            "trust-domain");
    ConfigFile.read(writeAll()).checkKeys(serve.optionKeys());
  }

  private Path writeAll() throws Exception {
    Path file = dir.resolve("all.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            List.of(
                "quota-cluster-name: q",
                "quota-port: 5701",
                "quota-kubernetes-dns: q.svc",
                "all: true",
                "mesh: m",
                "xds-port: 1",
                "ca-port: 2",
                "ca-state-dir: s",
                "trust-domain: t",
                "")));
    return file;
  }

  @Test
  void serveValidateAndTestTakeTheOpaOptionsFromFileEnvironmentAndFlags() throws Exception {
    String yaml = "opa-url: http://127.0.0.1:8181\nplugins: from-file\n";
    Map<String, String> env = Map.of("TOLLGATE_OPA_BINARY", "/opt/opa");
    ServeCommand serve = parse(new ServeCommand(), env, yaml, "--plugins", "p");
    ValidateCommand validate = parse(new ValidateCommand(), env, yaml, "--plugins", "p", "dir");
    TestCommand test = parse(new TestCommand(), env, yaml, "--plugins", "p", "dir");
    for (OpaOptions o : List.of(serve.opa, validate.opa, test.opa)) {
      assertThat(o.opaUrl).as("from the file").isEqualTo("http://127.0.0.1:8181");
      assertThat(o.opaBinary).as("from the environment").isEqualTo(Path.of("/opt/opa"));
      assertThat(o.plugins).as("flag over file").isEqualTo(Path.of("p"));
    }
    assertThat(serve.serverConfig().opaUrl()).isEqualTo("http://127.0.0.1:8181");
    assertThat(serve.serverConfig().pluginsDir()).isEqualTo(Path.of("p"));
  }

  @Test
  void quotaNodeTakesTheQuotaClusterOptionsFromFileAndEnvironment() throws Exception {
    QuotaNodeCommand node =
        parse(
            new QuotaNodeCommand(),
            Map.of("TOLLGATE_QUOTA_KUBERNETES_DNS", "q.mesh.svc.cluster.local"),
            "quota-cluster-name: edge\nquota-port: 6000\n");
    assertThat(node.quota.clusterName).isEqualTo("edge");
    assertThat(node.quota.port).isEqualTo(6000);
    assertThat(node.quota.kubernetesDns).isEqualTo("q.mesh.svc.cluster.local");
    assertThat(node.quota.members).isEmpty();
  }

  @Test
  void pilotAndInjectTakeTheSidecarOptionsFromFileEnvironmentAndFlags() throws Exception {
    String yaml = "sidecar-inbound-port: 16006\nproxy-image: envoy:x\n";
    Map<String, String> env = Map.of("TOLLGATE_SIDECAR_OUTBOUND_PORT", "16001");
    PilotCommand pilot =
        parse(new PilotCommand(), env, yaml, "--mesh", "m", "--sidecar-inbound-address", "::");
    InjectCommand inject =
        parse(new InjectCommand(), env, yaml, "-f", "pod.yaml", "--sidecar-inbound-address", "::");
    for (SidecarOptions s : List.of(pilot.sidecar, inject.sidecar)) {
      assertThat(s.ports().inboundPort()).isEqualTo(16006);
      assertThat(s.ports().outboundPort()).isEqualTo(16001);
      assertThat(s.ports().inboundAddress()).isEqualTo("::");
      assertThat(s.images().proxy()).isEqualTo("envoy:x");
      assertThat(s.images().init()).as("default").isEqualTo("docker.io/istio/proxyv2:1.24.2");
    }
  }
}
