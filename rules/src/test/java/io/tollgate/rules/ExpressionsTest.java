package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.AttributeType;
import io.tollgate.rules.cel.Expressions;
import org.junit.jupiter.api.Test;

class ExpressionsTest {
  private final Expressions expressions = Expressions.create();

  private boolean eval(String expr, Object... attributes) throws Exception {
    Expressions.Result r = expressions.compile(expr, AttributeType.BOOL);
    assertThat(r.issues()).isEmpty();
    return r.expression().test(request(attributes));
  }

  @Test
  void dottedAttributeNamesTypeCheckAndEvaluate() throws Exception {
    assertThat(eval("request.path.startsWith('/admin')", "request.path", "/admin/x")).isTrue();
    assertThat(eval("destination.port == 8080", "destination.port", 8080)).isTrue();
  }

  @Test
  void headerLookupsIgnoreCase() throws Exception {
    Object[] attrs = {"request.headers", PolicyDir.headers("X-User", "bob")};
    assertThat(eval("request.headers['x-user'] == 'bob'", attrs)).isTrue();
    assertThat(eval("request.headers['X-USER'] == 'bob'", attrs)).isTrue();
    assertThat(eval("'X-User' in request.headers", attrs)).isTrue();
  }

  @Test
  void absentAttributesReadAsZeroValues() throws Exception {
    assertThat(
            eval("source.principal == '' && destination.port == 0 && size(request.headers) == 0"))
        .isTrue();
  }

  @Test
  void typeErrorIsReportedWithColumn() {
    Expressions.Result r = expressions.compile("request.path > 3", AttributeType.BOOL);
    assertThat(r.ok()).isFalse();
    assertThat(r.issues().get(0).column()).isEqualTo(14);
    assertThat(r.issues().get(0).message()).contains("no matching overload");
  }

  @Test
  void unknownAttributeIsAnError() {
    Expressions.Result r = expressions.compile("request.pathh == '/'", AttributeType.BOOL);
    assertThat(r.ok()).isFalse();
    assertThat(r.issues().get(0).message()).contains("undeclared reference");
  }

  @Test
  void resultTypeMustMatch() {
    Expressions.Result r = expressions.compile("request.path", AttributeType.BOOL);
    assertThat(r.ok()).isFalse();
    assertThat(r.issues().get(0).message()).contains("string").contains("bool");
  }

  @Test
  void syntaxErrorIsReportedAtItsColumn() {
    Expressions.Result r = expressions.compile("request.path.startsWith(", AttributeType.BOOL);
    assertThat(r.ok()).isFalse();
    assertThat(r.issues().get(0).column()).isEqualTo(25);
  }

  @Test
  void missingMapKeyIsARuntimeError() {
    Expressions.Result r =
        expressions.compile("request.headers['nope'] == 'x'", AttributeType.BOOL);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.expression().test(request()))
        .hasMessageContaining("nope");
  }

  @Test
  void timestampsCompare() throws Exception {
    assertThat(
            eval(
                "request.time > timestamp('2020-01-01T00:00:00Z')",
                "request.time",
                java.time.Instant.parse("2024-05-01T10:00:00Z")))
        .isTrue();
    assertThat(
            eval(
                "request.time.getHours() == 10",
                "request.time",
                java.time.Instant.parse("2024-05-01T10:00:00Z")))
        .isTrue();
  }
}
