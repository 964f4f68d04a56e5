package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad policy input, given to a running server: the reload is refused with a precise
 * message, {@code /config} shows it, and the last good policy keeps deciding.
 */
class BadInputIT {
  static final String GOOD =
      """
      kind: Handler
      name: closed
      adapter: denier
      params: {status: 403, message: "v1 is closed"}
      ---
      kind: Rule
      name: gate
      match: request.url_path.startsWith("/v1")
      actions:
      - handler: closed
      """;

  static Path dir;
  static Path plugins;
  static TestServer ts;

  @BeforeAll
  static void start() throws IOException {
    dir = Files.createTempDirectory("tollgate-bad-input-");
    plugins = Files.createTempDirectory("tollgate-bad-plugins-");
    Files.writeString(dir.resolve("good.yaml"), GOOD);
    ts = TestServer.start(dir, plugins, Duration.ZERO);
  }

  @AfterAll
  static void stop() {
    ts.close();
  }

  @AfterEach
  void restore() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        if (!p.getFileName().toString().equals("good.yaml")) {
          Files.delete(p);
        }
      }
    }
    try (Stream<Path> s = Files.list(plugins)) {
      for (Path p : s.toList()) {
        Files.delete(p);
      }
    }
    Files.writeString(dir.resolve("good.yaml"), GOOD);
  }

  static Stream<Arguments> badFiles() {
    String rule = "kind: Rule\nname: r2\nmatch: %s\nactions:\n- handler: closed\n";
    return Stream.of(
        Arguments.of(
            "YAML syntax error",
            "bad.yaml",
            "kind: Rule\nname: [unclosed\nmatch: x\n",
            "bad.yaml:3:6: YAML syntax error"),
        Arguments.of(
            "unknown kind",
            "bad.yaml",
            "kind: Rulez\nname: r\n",
            "bad.yaml:1:7: unknown kind 'Rulez'"),
        Arguments.of(
            "unknown adapter",
            "bad.yaml",
            "kind: Handler\nname: h2\nadapter: denyer\n",
            "bad.yaml:3:10: unknown adapter 'denyer'"),
        Arguments.of(
            "template the handler does not accept",
            "bad.yaml",
            """
            kind: Handler
            name: names
            adapter: list
            params: {entryType: STRINGS, overrides: [a]}
            ---
            kind: Instance
            name: authz
            template: authorization
            params: {user: source.principal}
            ---
            kind: Rule
            name: r2
            actions:
            - handler: names
              instances: [authz]
            """,
            "bad.yaml:15:15: handler 'names' (adapter list) does not accept template 'authorization'"),
        Arguments.of(
            "CEL syntax error", "bad.yaml", rule.formatted("'request.path =='"), "bad.yaml:3:"),
        Arguments.of(
            "CEL type error",
            "bad.yaml",
            rule.formatted("'request.path > 3'"),
            "bad.yaml:3:22: CEL: found no matching overload for '_>_' applied to '(string, int)'"),
        Arguments.of(
            "undefined attribute",
            "bad.yaml",
            rule.formatted("'request.paht == \"/\"'"),
            "bad.yaml:3:9: CEL: unknown attribute 'request.paht'"),
        Arguments.of(
            "DRL syntax error",
            "bad.drl",
            "package p\n\nrule \"x\"\nwhen\n  Foo( \nthen\nend\n",
            "bad.drl:"),
        Arguments.of(
            "DRL that reads a file",
            "bad.drl",
            "package p\n\nrule \"x\"\nwhen\nthen\n  java.nio.file.Files.readString(null);\nend\n",
            "`java.nio.file.Files` is not allowed in a rule (DRL may use:"),
        Arguments.of(
            "rule naming a missing handler",
            "bad.yaml",
            "kind: Rule\nname: r2\nactions:\n- handler: closd\n",
            "bad.yaml:4:12: rule 'r2' names handler 'closd', which is not defined"),
        Arguments.of(
            "duplicate name",
            "bad.yaml",
            "kind: Handler\nname: closed\nadapter: denier\n",
            "good.yaml:2:7: duplicate Handler name 'closed' (first defined at bad.yaml:2)"),
        Arguments.of(
            "regex that does not compile",
            "bad.yaml",
            """
            kind: Handler
            name: agents
            adapter: list
            params: {entryType: REGEX, overrides: ['(unclosed']}
            """,
            "bad.yaml:4:"),
        Arguments.of(
            "quota handler with a negative amount",
            "bad.yaml",
            """
            kind: Handler
            name: metered
            adapter: quota
            params: {quotas: [{name: rc, maxAmount: -1, validDuration: 1m}]}
            """,
            "handler 'metered' (adapter quota): quotas[0].maxAmount: must be positive, not -1"),
        Arguments.of(
            "quota instance with an unknown field",
            "bad.yaml",
            """
            kind: Instance
            name: rc
            template: quota
            params: {dimensions: {source: source.ip}, amout: '1'}
            """,
            "bad.yaml:4:43: template 'quota' has no field 'amout'; fields: [dimensions, amount]"),
        Arguments.of(
            "metric with an invalid name and label",
            "bad.yaml",
            """
            kind: Handler
            name: prom
            adapter: prometheus
            params: {metrics: [{name: "requests-total", instanceName: rc, kind: COUNTER, labelNames: ["bad label"]}]}
            """,
            "handler 'prom' (adapter prometheus): metrics[0].name: 'requests-total' is not a valid Prometheus metric name"),
        Arguments.of(
            "metric instance sent to a check handler",
            "bad.yaml",
            """
            kind: Instance
            name: rc
            template: metric
            params: {value: '1'}
            ---
            kind: Handler
            name: lister
            adapter: list
            params: {overrides: [a]}
            ---
            kind: Rule
            name: r3
            actions:
            - handler: lister
              instances: [rc]
            """,
            "bad.yaml:15:15: handler 'lister' (adapter list) does not accept template 'metric'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void refusedWithAPreciseErrorWhileTheLastGoodPolicyServes(
      String what, String file, String text, String expected) throws IOException {
    Files.writeString(dir.resolve(file), text);
    assertRefusedAndStillServing(expected);
  }

  @Test
  void corruptPluginJar() throws IOException {
    Files.write(
        plugins.resolve("broken.jar"),
        new byte[] {'P', 'K', 3, 4, 'n', 'o', 't', ' ', 'a', ' ', 'j', 'a', 'r'});
    assertRefusedAndStillServing("broken.jar");
  }

  @Test
  void emptyPolicyDirectory() throws IOException {
    Files.delete(dir.resolve("good.yaml"));
    assertRefusedAndStillServing("no policy files");
  }

  static void assertRefusedAndStillServing(String expected) {
    long serving = ts.server.runtime().status().version();
    HttpResponse<String> r = ts.reload();
    assertThat(r.statusCode()).as("reload answer: %s", r.body()).isEqualTo(422);
    assertThat(r.body()).contains(expected);
    assertThat(ts.admin("/config").body())
        .contains("lastReloadFailure\" : {")
        .contains(expected.replace("\"", "\\\""));
    assertThat(ts.server.runtime().status().version()).isEqualTo(serving);

    CheckResponse closed = ts.check(EnvoyCheckRequest.http("GET", "shop", "/v1/x").build());
    assertThat(closed.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED_VALUE);
    assertThat(closed.getStatus().getMessage()).contains("v1 is closed");
    assertThat(
            ts.check(EnvoyCheckRequest.http("GET", "shop", "/v2/x").build()).getStatus().getCode())
        .isEqualTo(Code.OK_VALUE);
  }

  @Test
  void adminActionsNeedTheToken() {
    HttpResponse<String> r =
        ts.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + ts.server.adminPort() + "/reload"))
                .header("authorization", "Bearer wrong")
                .POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(ts.admin("/reload").statusCode()).isEqualTo(405);
  }
}
