package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.drools.DrlRuleBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DroolsTest {
  @TempDir Path tmp;

  private static final String ADMIN_DRL =
      """
      package t.admin
      import io.tollgate.rules.drools.Request
      import io.tollgate.rules.drools.Decision

      rule "admins only"
      when
        Request(path str[startsWith] "/admin", header("x-role") != "admin")
        $d : Decision()
      then
        $d.deny(403, "admins only");
      end

      rule "tag admins"
      when
        Request(header("x-role") == "admin")
        $d : Decision()
      then
        $d.setRequestHeader("x-admin", "yes");
      end
      """;

  private static final String POST_DRL =
      """
      package t.posts
      import io.tollgate.rules.drools.Request
      import io.tollgate.rules.drools.Decision

      rule "no posts"
      when
        Request(method == "POST")
        $d : Decision()
      then
        $d.deny(405, "no posts");
      end
      """;

  @Test
  void operatorConstraintsKeepWorkingPastTheJitThreshold() throws Exception {
    // Drools compiles a constraint to bytecode after some evaluations; with operators such as
    // str[startsWith] and matches that compiled form must decide as the interpreted one did.
    PolicyDir d =
        new PolicyDir(tmp)
            .write(
                "ops.drl",
                """
        package t.ops
        import io.tollgate.rules.drools.Request
        import io.tollgate.rules.drools.Decision
        rule "no internal"
        when
            Request(path str[startsWith] "/internal", method matches "P.*")
            $d : Decision()
        then
            $d.deny(403, "internal");
        end
        """);
    try (PolicyRuntime rt = d.start()) {
      for (int i = 0; i < 500; i++) {
        PolicyDecision denied =
            rt.check(request("request.path", "/internal/" + i, "request.method", "POST"));
        assertThat(denied.httpStatus()).as("check %d: %s", i, denied.message()).isEqualTo(403);
        assertThat(
                rt.check(request("request.path", "/public/" + i, "request.method", "POST"))
                    .allowed())
            .isTrue();
      }
    }
  }

  @Test
  void unclaimedPackagesRunForEveryRequest() throws Exception {
    PolicyDir d = new PolicyDir(tmp).write("admin.drl", ADMIN_DRL);
    try (PolicyRuntime rt = d.start()) {
      PolicyDecision deny = rt.check(request("request.path", "/admin/x"));
      assertThat(deny.allowed()).isFalse();
      assertThat(deny.httpStatus()).isEqualTo(403);
      assertThat(deny.rule()).isEqualTo("t.admin.admins only");
      assertThat(deny.handler()).isEqualTo("drools");
      PolicyDecision ok =
          rt.check(
              request(
                  "request.path",
                  "/admin/x",
                  "request.headers",
                  PolicyDir.headers("X-Role", "admin")));
      assertThat(ok.allowed()).isTrue();
      assertThat(ok.requestHeaders()).containsExactly(HeaderOp.replace("x-admin", "yes"));
    }
  }

  @Test
  void aDroolsHandlerWithAnUnknownParamIsRefusedAtTheKey() {
    PolicyDir d =
        new PolicyDir(tmp)
            .write("admin.drl", ADMIN_DRL)
            .write(
                "p.yaml",
                """
            kind: Handler
            name: admins
            adapter: drools
            params:
              packages: [t.admin]
              package: t.admin
            """);
    assertThat(PolicyRuntime.validate(d.options()))
        .anySatisfy(
            e -> {
              assertThat(e.file()).isEqualTo("p.yaml");
              assertThat(e.line()).isEqualTo(6);
              assertThat(e.message())
                  .isEqualTo("unknown param 'package'; the drools adapter takes [packages]");
            });
  }

  @Test
  void aHandlerScopesItsPackagesToTheRulesThatUseIt() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write("admin.drl", ADMIN_DRL)
            .write("posts.drl", POST_DRL)
            .write(
                "p.yaml",
                """
            kind: Handler
            name: posts
            adapter: drools
            params: {packages: [t.posts]}
            ---
            kind: Rule
            name: ratings-writes
            match: destination.service.host == "ratings"
            actions:
            - handler: posts
            """);
    try (PolicyRuntime rt = d.start()) {
      PolicyDecision onRatings =
          rt.check(request("request.method", "POST", "destination.service.host", "ratings"));
      assertThat(onRatings.allowed()).isFalse();
      assertThat(onRatings.httpStatus()).isEqualTo(405);
      assertThat(onRatings.rule()).isEqualTo("ratings-writes > t.posts.no posts");
      assertThat(onRatings.handler()).isEqualTo("posts");
      assertThat(
              rt.check(request("request.method", "POST", "destination.service.host", "details"))
                  .allowed())
          .isTrue();
      // t.admin is unclaimed and still runs everywhere.
      assertThat(rt.check(request("request.path", "/admin")).allowed()).isFalse();
    }
  }

  @Test
  void handlerNamingAMissingPackageIsAnError() {
    PolicyDir d =
        new PolicyDir(tmp)
            .write("admin.drl", ADMIN_DRL)
            .write(
                "p.yaml",
                "kind: Handler\nname: h\nadapter: drools\nparams: {packages: [t.nope]}\n");
    assertThat(PolicyRuntime.validate(d.options()))
        .anySatisfy(e -> assertThat(e.message()).contains("no DRL rules in package 't.nope'"));
  }

  @Test
  void drlErrorIsLocated() {
    PolicyDir d =
        new PolicyDir(tmp)
            .write(
                "bad.drl",
                ADMIN_DRL.replace(
                    "$d : Decision()\nthen\n  $d.deny", "$d : Decision(\nthen\n  $d.deny"));
    var errors = PolicyRuntime.validate(d.options());
    assertThat(errors)
        .as(errors.toString())
        .isNotEmpty()
        .allSatisfy(
            e -> {
              assertThat(e.file()).isEqualTo("bad.drl");
              assertThat(e.line()).isBetween(7, 11);
            });
  }

  @Test
  void unchangedDrlIsNotRecompiledOnReload() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write("admin.drl", ADMIN_DRL)
            .write(
                "p.yaml",
                "kind: Handler\nname: h\nadapter: fixed\n---\nkind: Rule\nname: r\nmatch: 'false'\nactions: [{handler: h}]\n");
    try (PolicyRuntime rt = d.start()) {
      var before = rt.snapshot().prepared().get("drools");
      d.write(
          "p.yaml",
          "kind: Handler\nname: h2\nadapter: fixed\n---\nkind: Rule\nname: r\nmatch: 'false'\nactions: [{handler: h2}]\n");
      assertThat(rt.reload().swapped()).isTrue();
      assertThat(rt.snapshot().prepared().get("drools")).isSameAs(before);
    }
  }

  @Test
  void anUnknownStrOperationIsRefusedAtItsLocationNotThrown() {
    String drl =
        "package t\nimport io.tollgate.rules.drools.Request\nrule \"r\"\nwhen\n"
            + "    Request(path str[startuWith] \"/internal\")\nthen\nend\n";
    List<ConfigError> errors = new ArrayList<>();
    assertThat(DrlRuleBase.compile(Map.of("a.drl", drl), errors)).isNull();
    assertThat(errors)
        .map(ConfigError::toString)
        .containsExactly(
            "a.drl:5:18: str[startuWith] is not an operation of str; use str[startsWith],"
                + " str[endsWith] or str[length]");
  }
}
