package io.tollgate.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.ConfigError;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad policy gets a precise message with its location, and a runtime that was serving
 * keeps serving its last good version.
 */
class BadPolicyTest {
  @TempDir Path tmp;

  private static final String GOOD =
      """
      kind: Handler
      name: no
      adapter: fixed
      params: {allow: false, status: 403, message: nope}
      ---
      kind: Rule
      name: block-admin
      match: request.path.startsWith("/admin")
      actions:
      - handler: no
      """;

  private List<ConfigError> errorsFor(String file, String text) {
    PolicyDir d = new PolicyDir(tmp);
    d.write(file, text);
    return PolicyRuntime.validate(d.options());
  }

  private static void assertOne(
      List<ConfigError> errors, String file, int line, int column, String text) {
    assertThat(errors).as(errors.toString()).isNotEmpty();
    assertThat(errors)
        .as(errors.toString())
        .anySatisfy(
            e -> {
              assertThat(e.file()).isEqualTo(file);
              assertThat(e.line()).isEqualTo(line);
              if (column > 0) {
                assertThat(e.column()).isEqualTo(column);
              }
              assertThat(e.message()).contains(text);
            });
  }

  @Test
  void goodPolicyHasNoErrors() {
    assertThat(errorsFor("p.yaml", GOOD)).isEmpty();
  }

  @Test
  void yamlSyntaxErrorNamesLineAndColumn() {
    assertOne(
        errorsFor("p.yaml", "kind: Rule\nname: [unclosed\nmatch: x\n"),
        "p.yaml",
        3,
        6,
        "YAML syntax error");
  }

  @Test
  void aDuplicateKeyIsRefusedWithBothLocations() {
    assertOne(
        errorsFor(
            "p.yaml",
            "kind: Handler\nname: h\nadapter: denier\nparams:\n  status: 403\n  status: 200\n"),
        "p.yaml",
        6,
        3,
        "duplicate key 'status' (first at p.yaml:5:3)");
    assertOne(
        errorsFor("p.yaml", "kind: Rule\nname: a\nname: b\n"),
        "p.yaml",
        3,
        1,
        "duplicate key 'name' (first at p.yaml:2:1)");
  }

  @Test
  void unknownKind() {
    assertOne(
        errorsFor("p.yaml", "kind: Rulez\nname: r\n"), "p.yaml", 1, 7, "unknown kind 'Rulez'");
  }

  @Test
  void unknownField() {
    assertOne(
        errorsFor("p.yaml", GOOD + "matchh: true\n"), "p.yaml", 11, 1, "unknown field 'matchh'");
  }

  @Test
  void unknownAdapterListsAvailableOnes() {
    assertOne(
        errorsFor("p.yaml", GOOD.replace("adapter: fixed", "adapter: fixd")),
        "p.yaml",
        3,
        10,
        "unknown adapter 'fixd'; available adapters: [drools, editing, fixed, recording, rego]");
  }

  @Test
  void badAdapterParamIsLocatedAtTheParam() {
    assertOne(
        errorsFor("p.yaml", GOOD.replace("status: 403", "status: lots")),
        "p.yaml",
        4,
        0,
        "status: must be an integer");
  }

  @Test
  void templateTheHandlerDoesNotAccept() {
    String text =
        """
        kind: Handler
        name: d
        adapter: drools
        ---
        kind: Instance
        name: ip
        template: listentry
        params: {value: source.ip}
        ---
        kind: Rule
        name: r
        actions:
        - handler: d
          instances: [ip]
        """;
    PolicyDir d = new PolicyDir(tmp);
    d.write("a.drl", "package p\nrule \"x\" when then end\n");
    d.write("p.yaml", text);
    assertOne(
        PolicyRuntime.validate(d.options()),
        "p.yaml",
        14,
        15,
        "does not accept template 'listentry'");
  }

  @Test
  void celSyntaxErrorIsLocatedInTheFile() {
    assertOne(
        errorsFor(
            "p.yaml",
            GOOD.replace("request.path.startsWith(\"/admin\")", "request.path.startsWith(")),
        "p.yaml",
        8,
        32,
        "CEL: mismatched input");
  }

  @Test
  void celTypeErrorIsLocatedInTheFile() {
    assertOne(
        errorsFor(
            "p.yaml", GOOD.replace("request.path.startsWith(\"/admin\")", "request.path > 3")),
        "p.yaml",
        8,
        21,
        "no matching overload for '_>_'");
  }

  @Test
  void undefinedAttributeIsNamed() {
    assertOne(
        errorsFor("p.yaml", GOOD.replace("request.path.startsWith", "request.paht.startsWith")),
        "p.yaml",
        8,
        8,
        "unknown attribute 'request.paht'");
  }

  @Test
  void celErrorInsideABlockScalarIsLocated() {
    String text =
        GOOD.replace(
            "match: request.path.startsWith(\"/admin\")",
            "match: >-\n  request.method == \"GET\"\n  && request.path > 3");
    List<ConfigError> errors = errorsFor("p.yaml", text);
    assertThat(errors)
        .as(errors.toString())
        .anySatisfy(
            e -> {
              assertThat(e.line()).isEqualTo(10); // the folded block's second line
              assertThat(e.message()).contains("_>_");
            });
  }

  @Test
  void ruleNamingMissingHandler() {
    assertOne(
        errorsFor("p.yaml", GOOD.replace("- handler: no", "- handler: nope")),
        "p.yaml",
        10,
        12,
        "names handler 'nope', which is not defined");
  }

  @Test
  void duplicateNamePointsAtTheFirst() {
    PolicyDir d = new PolicyDir(tmp);
    d.write("a.yaml", GOOD);
    d.write("b.yaml", GOOD);
    List<ConfigError> errors = PolicyRuntime.validate(d.options());
    assertOne(errors, "b.yaml", 2, 7, "duplicate Handler name 'no' (first defined at a.yaml:2)");
    assertOne(errors, "b.yaml", 7, 7, "duplicate Rule name 'block-admin'");
  }

  @Test
  void drlSyntaxErrorNamesLine() {
    PolicyDir d = new PolicyDir(tmp);
    d.write("p.yaml", GOOD);
    d.write("r.drl", "package p\n\nrule \"x\"\nwhen\n  Foo( \nthen\nend\n");
    List<ConfigError> errors = PolicyRuntime.validate(d.options());
    assertThat(errors)
        .as(errors.toString())
        .anySatisfy(
            e -> {
              assertThat(e.file()).isEqualTo("r.drl");
              assertThat(e.line()).isGreaterThan(0);
              assertThat(e.message()).startsWith("DRL:");
            });
  }

  @Test
  void emptyDirectoryIsRefused() {
    List<ConfigError> errors = PolicyRuntime.validate(RuntimeOptions.of(tmp, null));
    assertThat(errors)
        .singleElement()
        .satisfies(e -> assertThat(e.message()).contains("no policy files"));
  }

  @Test
  void invalidUtf8FileIsRefused() throws Exception {
    java.nio.file.Files.write(
        tmp.resolve("p.yaml"), new byte[] {'k', 'i', 'n', 'd', ':', ' ', (byte) 0xC3, (byte) 0x28});
    assertOne(
        PolicyRuntime.validate(RuntimeOptions.of(tmp, null)), "p.yaml", 0, 0, "not valid UTF-8");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    String text =
        GOOD.replace("adapter: fixed", "adapter: nope")
            .replace("request.path.startsWith(\"/admin\")", "request.path > 3");
    assertThat(errorsFor("p.yaml", text)).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void aFailedReloadKeepsTheLastGoodVersionServing() throws Exception {
    PolicyDir d = new PolicyDir(tmp);
    d.write("p.yaml", GOOD);
    try (PolicyRuntime rt = d.start()) {
      var admin = PolicyDir.request("request.path", "/admin");
      assertThat(rt.check(admin).allowed()).isFalse();
      for (String bad :
          List.of(
              "kind: Rule\nname: [",
              GOOD.replace("adapter: fixed", "adapter: nope"),
              GOOD.replace("request.path.startsWith(\"/admin\")", "request.path > 3"))) {
        d.write("p.yaml", bad);
        ReloadResult r = rt.reload();
        assertThat(r.swapped()).isFalse();
        assertThat(r.version()).isEqualTo(1);
        assertThat(rt.check(admin).allowed()).isFalse();
        assertThat(rt.check(admin).policyVersion()).isEqualTo(1);
        assertThat(rt.status().lastErrors()).isNotEmpty();
      }
      d.write("p.yaml", GOOD.replace("/admin", "/secret"));
      assertThat(rt.reload().swapped()).isTrue();
      assertThat(rt.check(admin).allowed()).isTrue();
      assertThat(rt.status().version()).isEqualTo(2);
      assertThat(rt.status().lastErrors()).isEmpty();
    }
  }
}
