package io.tollgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.Durations;
import io.tollgate.server.BundledPolicy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI in process: validate, test, option precedence, help. */
class CliTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(Map<String, String> env, ConfigFile file, String... args) {
    CommandLine cl = Tollgate.withUsageErrors(new CommandLine(new Tollgate()));
    cl.setDefaultValueProvider(new DefaultsProvider(env, file));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.registerConverter(Duration.class, Durations::parse);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  static Run run(String... args) {
    return run(Map.of(), ConfigFile.NONE, args);
  }

  @Test
  void validateAcceptsTheBundledExample() throws Exception {
    BundledPolicy.copyTo(dir);
    Run r = run("validate", dir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("valid");
  }

  @Test
  void validateReportsFileLineColumnAndExitsOne() throws Exception {
    Files.writeString(
        dir.resolve("p.yaml"),
        "kind: Rule\nname: r\nmatch: request.path > 3\nactions:\n- handler: h\n---\nkind: Handler\nname: h\nadapter: denier\n");
    Run r = run("validate", dir.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains("p.yaml:3:21: CEL: found no matching overload for '_>_'")
        .contains("1 problem(s)");
  }

  @Test
  void testRunsTheBundledExamplesCases() throws Exception {
    BundledPolicy.copyTo(dir);
    Run r = run("test", dir.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).containsPattern("\\d+ case\\(s\\), 0 failed");
  }

  @Test
  void testFailsOnAMismatchAndShowsBothSides() throws Exception {
    BundledPolicy.copyTo(dir);
    Files.writeString(
        dir.resolve("tests/wrong.yaml"),
        """
        cases:
        - name: admin area is open (it is not)
          attributes: {request.method: GET, request.url_path: /admin, request.path: /admin}
          expect: {decision: allow}
        """);
    Run r = run("test", dir.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .contains("FAIL  admin area is open (it is not)")
        .contains("expected:")
        .contains("1 failed");
  }

  @Test
  void optionsComeFromFlagsThenEnvironmentThenConfigFile() throws Exception {
    Path file = dir.resolve("tollgate.yaml");
    Files.writeString(
        file, "grpc-port: 7001\nhttp-port: 7002\nadmin-port: 7003\ndecision-log: all\n");
    ConfigFile cf = ConfigFile.read(file);
    ServeCommand serve = new ServeCommand();
    CommandLine cl = new CommandLine(serve);
    cl.setDefaultValueProvider(
        new DefaultsProvider(
            Map.of("TOLLGATE_HTTP_PORT", "8002", "TOLLGATE_ADMIN_PORT", "8003"), cf));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.registerConverter(Duration.class, Durations::parse);
    cl.parseArgs("--admin-port", "9003", "--reload-interval", "250ms");
    var c = serve.serverConfig();
    assertThat(c.grpcPort()).as("from the file").isEqualTo(7001);
    assertThat(c.httpPort()).as("environment over file").isEqualTo(8002);
    assertThat(c.adminPort()).as("flag over environment").isEqualTo(9003);
    assertThat(c.decisionLog().name()).isEqualTo("ALL");
    assertThat(c.reloadInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.bind()).as("default").isEqualTo("127.0.0.1");
    assertThat(c.policyDir()).isNull();
  }

  @Test
  void configFileWithAnUnknownOptionIsRefused() throws Exception {
    Path file = dir.resolve("tollgate.yaml");
    Files.writeString(file, "grpc-prot: 7001\n");
    Run r = run(Map.of(), ConfigFile.read(file), "serve", "--config", file.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("unknown option 'grpc-prot'");
  }

  @Test
  void configFileThatIsNotYamlNamesTheLine() throws Exception {
    Path file = dir.resolve("tollgate.yaml");
    Files.writeString(file, "grpc-port: 7001\n  bad: [\n");
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ConfigFile.read(file)))
        .hasMessageContaining("tollgate.yaml:2:");
  }

  @Test
  void serveRefusesAnInvalidPolicyWithoutStarting() throws Exception {
    Files.writeString(dir.resolve("p.yaml"), "kind: Handler\nname: h\nadapter: nope\n");
    Run r =
        run(
            "serve",
            "--policy",
            dir.toString(),
            "--grpc-port",
            "0",
            "--http-port",
            "0",
            "--admin-port",
            "0");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("p.yaml:3:10: unknown adapter 'nope'");
  }

  @Test
  void durations() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("PT1M")).isEqualTo(Duration.ofMinutes(1));
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Durations.parse("soon")))
        .hasMessageContaining("'soon' is not a duration");
  }

  @Test
  void everyCommandHasHelp() {
    for (String c :
        new String[] {
          "serve",
          "validate",
          "test",
          "check",
          "quota-node",
          "ca",
          "agent",
          "pilot",
          "inject",
          "analyze"
        }) {
      Run r = run(c, "--help");
      assertThat(r.exit()).isZero();
      assertThat(r.out()).contains("Usage: tollgate " + c);
    }
  }

  @Test
  void caAndAgentRefuseBadArgumentsWithAReason(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    Run noRoot = run("agent", "--once", "--out", dir.resolve("out").toString(), "--token", "x");
    assertThat(noRoot.exit()).isEqualTo(2);
    assertThat(noRoot.err()).contains("give --ca-root");
    java.nio.file.Files.writeString(dir.resolve("root.pem"), "");
    Run badFraction =
        run(
            "agent",
            "--once",
            "--out",
            dir.resolve("out").toString(),
            "--ca-root",
            dir.resolve("root.pem").toString(),
            "--renew-at",
            "1.5");
    assertThat(badFraction.exit()).isEqualTo(2);
    assertThat(badFraction.err()).contains("renewAt must be between 0 and 1");
    Run badName =
        run(
            "ca",
            "token",
            "--state-dir",
            dir.resolve("ca").toString(),
            "--namespace",
            "Shop/../x",
            "--service-account",
            "a");
    assertThat(badName.exit()).isEqualTo(2);
    assertThat(badName.err()).contains("namespace 'Shop/../x' must be lower-case letters");
    Run token =
        run(
            "ca",
            "token",
            "--state-dir",
            dir.resolve("ca").toString(),
            "--namespace",
            "shop",
            "--service-account",
            "cart");
    assertThat(token.exit()).as(token.err()).isZero();
    assertThat(io.tollgate.citadel.BootstrapTokens.subjectOf(token.out().trim()).toString())
        .isEqualTo("spiffe://cluster.local/ns/shop/sa/cart");
    Run revoke = run("ca", "revoke", "--state-dir", dir.resolve("ca").toString(), "--serial", "zz");
    assertThat(revoke.exit()).isEqualTo(2);
    assertThat(revoke.err()).contains("--serial must be hexadecimal");
  }

  @Test
  void analyzeExitsOneOnErrorsAndInjectWritesTheManifest(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Files.writeString(
        dir.resolve("svc.yaml"),
        """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          ports: [{port: 80}]
        """);
    Run bad = run("analyze", "-f", dir.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out())
        .contains("ERROR svc.yaml:1 Service default/web: port 80 has no name")
        .contains("1 error(s), 0 warning(s)");
    java.nio.file.Files.writeString(
        dir.resolve("svc.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80, name: http}]\n");
    assertThat(run("analyze", "-f", dir.toString()).exit()).isZero();
    java.nio.file.Files.writeString(
        dir.resolve("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: p}}\nspec:\n  containers: [{name: a, image: x}]\n");
    Run injected = run("inject", "-f", dir.resolve("pod.yaml").toString());
    assertThat(injected.exit()).isZero();
    assertThat(injected.out())
        .contains("name: tollgate-proxy")
        .contains("name: tollgate-init")
        .contains("sidecar.tollgate.io/status: injected");
    assertThat(run("analyze", "-f", dir.resolve("missing").toString()).exit()).isEqualTo(2);
  }

  @Test
  void envNames() {
    assertThat(DefaultsProvider.envName("--grpc-port")).isEqualTo("TOLLGATE_GRPC_PORT");
  }

  @Test
  void theKubernetesManifestsUseOptionsTheCommandsHave() throws Exception {
    Path manifests = Path.of("..", "deploy", "kubernetes");
    int checked = 0;
    try (var files = Files.list(manifests)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        for (var doc :
            new com.fasterxml.jackson.databind.ObjectMapper(
                    new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readerFor(Map.class)
                .readValues(f.toFile())
                .readAll()) {
          for (var c :
              (Iterable<com.fasterxml.jackson.databind.JsonNode>)
                  () -> containers(doc).iterator()) {
            String[] args = new String[c.get("args").size()];
            for (int i = 0; i < args.length; i++) {
              // Kubernetes expands $(POD_IP) before the command sees it.
              args[i] = c.get("args").get(i).asText().replace("$(POD_IP)", "10.0.0.7");
            }
            CommandLine.ParseResult r = Tollgate.commandLine(args).parseArgs(args);
            assertThat(r.subcommand()).as("%s in %s", String.join(" ", args), f).isNotNull();
            checked++;
          }
        }
      }
    }
    assertThat(checked).as("containers checked").isEqualTo(5);
    var serve =
        ServeCommandAccess.parse(
            "serve", "--quota-client=true", "--quota-kubernetes-dns=q.mesh.svc.cluster.local");
    assertThat(serve.quota().client()).isTrue();
    assertThat(serve.quota().kubernetesServiceDns()).isEqualTo("q.mesh.svc.cluster.local");
  }

  private static java.util.List<com.fasterxml.jackson.databind.JsonNode> containers(Object doc) {
    var node = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(doc);
    var list = new java.util.ArrayList<com.fasterxml.jackson.databind.JsonNode>();
    node.at("/spec/template/spec/containers").forEach(list::add);
    return list;
  }

  @Test
  void aBadAddressIsAOneLineUsageErrorInEveryCommand() {
    for (String[] args :
        new String[][] {
          {"check", "--address", "garbage"},
          {"check", "--address", "a b:9091"},
          {"check", "--address", "::::"},
          {"check", "--address", "127.0.0.1:99999"},
          {"check", "--address", "host:port"},
          {"agent", "--ca-address", "ca.mesh:"},
          {"pilot", "--policy-address", "not an address"},
          {"serve", "--bind", "no such host!"},
          {"quota-node", "--bind", "a:b:c:g"},
          {"serve", "--opa-url", "localhost:8181"},
          {"validate", "--opa-url", "ftp://x", "."},
        }) {
      Run r = run(args);
      String command = "tollgate " + args[0];
      assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.err().lines())
          .as(String.join(" ", args))
          .singleElement()
          .satisfies(
              line ->
                  assertThat(line)
                      .startsWith(command + ": Invalid value for option '" + args[1] + "'")
                      .endsWith("(see " + command + " --help)"));
      assertThat(r.out()).isEmpty();
    }
    // Well-formed addresses parse (and fail later, in one line, if nothing answers).
    Run unreachable = run("check", "--address", "127.0.0.1:1", "--timeout", "2s");
    assertThat(unreachable.exit()).isEqualTo(1);
    assertThat(unreachable.err().lines())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("tollgate check: no answer from 127.0.0.1:1"));
    Run missing = run("inject", "-f", dir.resolve("missing.yaml").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err().lines())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("tollgate inject: no such file: "));
    for (String ok : new String[] {"localhost:9091", "[::1]:9091", "tollgate.mesh.svc:15012"}) {
      assertThat(Addresses.hostPort(ok)).isEqualTo(ok);
    }
  }

  @Test
  void denialsNameNoRuleUnlessAskedTo() {
    assertThat(ServeCommandAccess.parse("serve").revealRule()).isFalse();
    assertThat(ServeCommandAccess.parse("serve", "--reveal-rule", "true").revealRule()).isTrue();
    assertThat(io.tollgate.server.ServerConfig.defaults().revealRule()).isFalse();
  }

  /** Parses a serve command line into its server config, as the command would. */
  static final class ServeCommandAccess {
    static io.tollgate.server.ServerConfig parse(String... args) {
      CommandLine cl = Tollgate.commandLine(args);
      CommandLine.ParseResult r = cl.parseArgs(args);
      return ((ServeCommand) r.subcommand().commandSpec().userObject()).serverConfig();
    }
  }
}
