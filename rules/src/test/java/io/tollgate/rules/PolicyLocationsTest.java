package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.headers;
import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.ConfigError;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Values refused with their location: a handler timeout that is not longer than zero, and a CEL
 * error on a later line of a folded ({@code >-}) or literal ({@code |}) block. Plus: CEL's {@code
 * matches} runs in linear time.
 */
class PolicyLocationsTest {
  @TempDir Path tmp;

  private List<ConfigError> errorsFor(String text) {
    return PolicyRuntime.validate(new PolicyDir(tmp).write("p.yaml", text).options());
  }

  private static final String DENIER =
      """
      kind: Handler
      name: no
      adapter: fixed
      params: {allow: false, status: 403, message: nope}
      ---
      """;

  @Test
  void aNegativeHandlerTimeoutIsRefusedAtIt() {
    List<ConfigError> errors =
        errorsFor(
            """
            kind: Handler
            name: no
            adapter: fixed
            timeout: -PT5S
            """);
    assertThat(errors).as(errors.toString()).hasSize(1);
    assertThat(errors.get(0).toString())
        .isEqualTo("p.yaml:4:10: '-PT5S' is negative; a duration is 0 or more");
    assertThat(errorsFor("kind: Handler\nname: no\nadapter: fixed\ntimeout: -5s\n"))
        .singleElement()
        .hasToString("p.yaml:4:10: '-5s' is not a duration (write e.g. 250ms, 2s, 1m)");
  }

  @Test
  void aZeroHandlerTimeoutIsRefusedAtIt() {
    List<ConfigError> errors =
        errorsFor(
            """
            kind: Handler
            name: no
            adapter: fixed
            timeout: 0ms
            """);
    assertThat(errors).as(errors.toString()).hasSize(1);
    assertThat(errors.get(0).toString())
        .isEqualTo("p.yaml:4:10: timeout must be longer than zero, not 0ms");
  }

  @Test
  void aCelErrorOnTheSecondLineOfAFoldedBlockIsReportedThere() {
    List<ConfigError> errors =
        errorsFor(
            DENIER
                + """
                kind: Rule
                name: r
                match: >-
                  request.path.startsWith("/admin")
                  && request.nosuch == "x"
                actions:
                - handler: no
                """);
    assertThat(errors).as(errors.toString()).hasSize(1);
    ConfigError e = errors.get(0);
    assertThat(e.line()).as(e.toString()).isEqualTo(10);
    assertThat(e.column()).as(e.toString()).isEqualTo(6);
    assertThat(e.message()).contains("request.nosuch");
  }

  @Test
  void aCelErrorOnTheThirdLineOfALiteralBlockIsReportedThere() {
    List<ConfigError> errors =
        errorsFor(
            DENIER
                + """
                kind: Rule
                name: r
                match: |
                  request.path.startsWith("/admin")
                    &&
                    request.nosuch == "x"
                actions:
                - handler: no
                """);
    ConfigError e = errors.get(0);
    assertThat(e.line()).as(e.toString()).isEqualTo(11);
    assertThat(e.column()).as(e.toString()).isEqualTo(5);
  }

  @Test
  void celMatchesIsLinearOnACatastrophicPattern() throws Exception {
    // (a+)+$ against 5,000 a's and a mismatch: java.util.regex would backtrack through about
    // 2^5000 ways to split them and never answer; CEL's matches uses RE2/J, which is linear.
    try (PolicyRuntime r =
        new PolicyDir(tmp)
            .write(
                "p.yaml",
                DENIER
                    + """
                    kind: Rule
                    name: evil
                    match: '"x-name" in request.headers && request.headers["x-name"].matches("(a+)+$")'
                    actions:
                    - handler: no
                    """)
            .start()) {
      String evil = "a".repeat(5000) + "!";
      PolicyDecision d =
          org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
              java.time.Duration.ofSeconds(60),
              () -> r.check(request("request.headers", headers("x-name", evil))));
      assertThat(d.allowed()).isTrue();
      assertThat(r.check(request("request.headers", headers("x-name", "aaa"))).httpStatus())
          .isEqualTo(403);
      assertThat(r.counters().matchErrors()).isEmpty();
    }
  }
}
