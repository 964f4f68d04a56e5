package io.tollgate.rules.cel;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.MapAttributes;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Guards rule expressions out without CEL, and never change what an expression decides. */
class GuardsTest {
  private final Expressions expressions = Expressions.create();

  CompiledExpression compile(String text) {
    Expressions.Result r = expressions.compile(text, AttributeType.BOOL);
    assertThat(r.issues()).isEmpty();
    return r.expression();
  }

  static Attributes request(String host, String method, String path, Map<String, String> headers) {
    MapAttributes.Builder b = MapAttributes.builder();
    if (host != null) {
      b.put("destination.service.host", host);
    }
    if (method != null) {
      b.put("request.method", method);
    }
    if (path != null) {
      b.put("request.url_path", path);
    }
    b.put("request.headers", headers);
    return b.build();
  }

  @Test
  void recognizesSimpleStringConjuncts() {
    assertThat(compile("destination.service.host == \"orders\"").guardCount()).isEqualTo(1);
    assertThat(
            compile(
                    "\"orders\" == destination.service.host && request.method in [\"POST\", \"PUT\"]")
                .guardCount())
        .isEqualTo(2);
    assertThat(
            compile(
                    "request.url_path.startsWith(\"/admin\") && !source.principal.endsWith(\"/sa/admin\")")
                .guardCount())
        .isEqualTo(1);
    assertThat(
            compile("destination.service.host == \"a\" || request.method == \"GET\"").guardCount())
        .as("a disjunction is not a guard")
        .isZero();
    assertThat(compile("request.headers[\"x\"] == \"y\"").guardCount())
        .as("maps are left to CEL")
        .isZero();
    assertThat(compile("!(destination.service.host == \"a\")").guardCount()).isZero();
  }

  @Test
  void decideExactlyAsTheProgramDoes() throws Exception {
    List<String> expressions =
        List.of(
            "destination.service.host == \"orders\" && request.method in [\"POST\", \"PUT\"]",
            "request.url_path.startsWith(\"/admin\") && request.headers[\"x-role\"] != \"admin\"",
            "destination.service.host == \"\" && request.method == \"\"",
            "request.method in [\"GET\"] && request.headers[\"missing\"] == \"x\"",
            "\"users\" == destination.service.host && request.url_path.startsWith(\"/internal/\")");
    List<Attributes> requests =
        List.of(
            request("orders", "POST", "/x", Map.of()),
            request("orders", "GET", "/admin/a", Map.of("x-role", "admin")),
            request(null, null, null, Map.of()),
            request("users", "GET", "/internal/y", Map.of("missing", "x")),
            request("users", "DELETE", "/admin", Map.of()));
    for (String text : expressions) {
      CompiledExpression e = compile(text);
      for (Attributes a : requests) {
        boolean program;
        try {
          program = Boolean.TRUE.equals(e.eval(a));
        } catch (Exception ex) {
          program = false; // an error never matches
        }
        boolean guarded;
        try {
          guarded = e.test(a);
        } catch (Exception ex) {
          guarded = false;
        }
        assertThat(guarded).as("%s on %s", text, a).isEqualTo(program);
      }
    }
  }
}
