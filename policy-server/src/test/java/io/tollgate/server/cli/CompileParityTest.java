package io.tollgate.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.Durations;
import io.tollgate.rules.PolicyLoadException;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.server.BundledPolicy;
import io.tollgate.server.PolicyEnvironment;
import io.tollgate.server.PolicyServer;
import io.tollgate.server.ServerConfig;
import io.tollgate.server.quota.QuotaConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * {@code validate} and {@code test} accept exactly the policies {@code serve} accepts, and refuse
 * the others with the same problems.
 */
class CompileParityTest {
  @TempDir Path dir;

  private static final String DENY_ADMIN =
      """
      kind: Handler
      name: closed
      adapter: denier
      params: {status: 403, message: no}
      ---
      kind: Rule
      name: no-admin
      match: request.url_path.startsWith("/admin")
      actions: [{handler: closed}]
      """;

  private static final String DENY_ADMIN_CASES =
      """
      cases:
      - name: admin is closed
        attributes: {request.method: GET, request.url_path: /admin, request.path: /admin}
        expect: {decision: deny, status: 403, rule: no-admin}
      - name: the rest is open
        attributes: {request.method: GET, request.url_path: /, request.path: /}
        expect: {decision: allow}
      """;

  private static String prometheus(String metricName, String kind) {
    return DENY_ADMIN
        + """
        ---
        kind: Handler
        name: prom
        adapter: prometheus
        params:
          metrics:
          - {name: %s, instanceName: requestcount, kind: %s, labelNames: [code]}
        ---
        kind: Instance
        name: requestcount
        template: metric
        params:
          value: '1'
          dimensions: {code: response.code}
        ---
        kind: Rule
        name: count
        actions: [{handler: prom, instances: [requestcount]}]
        """
            .formatted(metricName, kind);
  }

  private static String limits(String unit) {
    return """
        domain: edge
        descriptors:
          - key: remote_address
            rate_limit:
              unit: %s
              requests_per_unit: 10
        """
        .formatted(unit);
  }

  private static final String DRL =
      """
      package shop.security

      import io.tollgate.rules.drools.Request
      import io.tollgate.rules.drools.Decision

      rule "no path traversal"
      when
          Request(urlPath matches ".*\\\\.\\\\..*")
          $d : Decision()
      then
          $d.deny(400, "path traversal is not allowed");
      end
      """;

  private static final String QUOTA =
      DENY_ADMIN
          + """
      ---
      kind: Handler
      name: per-user
      adapter: quota
      params:
        quotas:
        - {name: requests, maxAmount: 100, validDuration: 1h}
      ---
      kind: Instance
      name: requests
      template: quota
      params:
        dimensions: {user: 'request.headers["x-user"]'}
      ---
      kind: Rule
      name: spend
      actions: [{handler: per-user, instances: [requests]}]
      """;

  /**
   * A case: the files of a policy directory (besides its tests), and a phrase its refusal holds.
   */
  static Stream<Arguments> policies() {
    return Stream.of(
        Arguments.of("the bundled example", null, Map.of(), ""),
        Arguments.of("a rate-limit file", DENY_ADMIN, Map.of("limits.yaml", limits("minute")), ""),
        Arguments.of("a prometheus handler", prometheus("shop_requests", "COUNTER"), Map.of(), ""),
        Arguments.of("a quota handler", QUOTA, Map.of(), ""),
        Arguments.of("a DRL file", DENY_ADMIN, Map.of("security.drl", DRL), ""),
        Arguments.of(
            "a broken rate-limit file",
            DENY_ADMIN,
            Map.of("limits.yaml", limits("fortnight")),
            "fortnight"),
        Arguments.of(
            "a broken prometheus param",
            prometheus("shop_requests", "SUMMARY"),
            Map.of(),
            "SUMMARY"),
        Arguments.of(
            "a metric named like the server's own",
            prometheus("jvm_threads_current", "GAUGE"),
            Map.of(),
            "jvm_threads_current"),
        Arguments.of(
            "a broken DRL file",
            DENY_ADMIN,
            Map.of("security.drl", DRL.replace("then", "than")),
            "security.drl"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void validateAndTestAgreeWithServe(
      String name, String rules, Map<String, String> files, String refusal) throws Exception {
    if (rules == null) {
      BundledPolicy.copyTo(dir);
    } else {
      Files.writeString(dir.resolve("rules.yaml"), rules);
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(dir.resolve(f.getKey()), f.getValue());
      }
      Files.createDirectories(dir.resolve("tests"));
      Files.writeString(dir.resolve("tests/cases.yaml"), DENY_ADMIN_CASES);
    }
    boolean accepted = refusal.isEmpty();

    List<String> serve = serveCompiles(dir);
    if (accepted) {
      assertThat(serve).as("serve's problems").isEmpty();
    } else {
      assertThat(serve)
          .as("serve's problems")
          .isNotEmpty()
          .anySatisfy(e -> assertThat(e).contains(refusal));
    }

    CliTest.Run validate = CliTest.run("validate", dir.toString());
    assertThat(validate.exit()).as(validate.err()).isEqualTo(accepted ? 0 : 1);
    assertThat(
            lines(validate.err()).stream()
                .filter(l -> !l.endsWith(" problem(s) in " + dir))
                .toList())
        .as("validate's problems")
        .isEqualTo(serve);

    CliTest.Run test = CliTest.run("test", dir.toString());
    assertThat(test.exit()).as(test.out() + test.err()).isEqualTo(accepted ? 0 : 1);
    assertThat(lines(test.err())).as("test's problems").isEqualTo(serve);
    if (accepted) {
      assertThat(test.out()).containsPattern("\\d+ case\\(s\\), 0 failed");
    }

    if (!accepted) {
      // Refused, serve itself starts nothing; what it prints is the same list.
      CliTest.Run s =
          CliTest.run(
              "serve",
              "--policy",
              dir.toString(),
              "--grpc-port",
              "0",
              "--http-port",
              "0",
              "--admin-port",
              "0",
              "--reload-interval",
              "0s");
      assertThat(s.exit()).isEqualTo(1);
      List<String> printed = lines(s.err());
      assertThat(printed.get(0))
          .isEqualTo("tollgate serve: the policy does not load; nothing started:");
      assertThat(printed.subList(1, printed.size()).stream().map(String::strip).toList())
          .isEqualTo(serve);
    }
  }

  /**
   * Compiles {@code dir} as {@code tollgate serve --policy dir} does before it listens; its
   * problems.
   */
  private static List<String> serveCompiles(Path dir) {
    ServeCommand command = new ServeCommand();
    CommandLine cl = new CommandLine(command);
    cl.setDefaultValueProvider(new DefaultsProvider(Map.of(), ConfigFile.NONE));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.registerConverter(Duration.class, Durations::parse);
    cl.parseArgs("--policy", dir.toString());
    ServerConfig config = command.serverConfig();
    try (QuotaConnection quotas = new QuotaConnection(config.bind(), config.quota());
        PolicyRuntime rt =
            PolicyRuntime.start(
                PolicyServer.runtimeOptions(
                    config, dir, RegoEngine.Observer.NONE, quotas, PolicyEnvironment.registry()))) {
      assertThat(rt.snapshot()).as("the policy compiled and serves").isNotNull();
      assertThat(quotas.isOpen()).as("compiling needs no quota cluster").isFalse();
      return List.of();
    } catch (PolicyLoadException e) {
      return e.errors().stream().map(ConfigError::toString).toList();
    }
  }

  private static List<String> lines(String s) {
    return Arrays.stream(s.split("\n")).filter(l -> !l.isBlank()).toList();
  }
}
