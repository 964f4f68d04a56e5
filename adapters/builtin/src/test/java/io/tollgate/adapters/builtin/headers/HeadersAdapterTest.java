package io.tollgate.adapters.builtin.headers;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapters.builtin.AdapterContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeadersAdapterTest {
  @TempDir Path dir;

  @Test
  void allowsAndAppliesOperationsInOrder() throws Exception {
    CheckResult r =
        new AdapterContract(new HeadersAdapter(), dir)
            .build(
                Map.of(
                    "request",
                        List.of(
                            Map.of("name", "X-Env", "value", "prod"),
                            Map.of("op", "append", "name", "x-tag", "value", "a"),
                            Map.of("op", "REMOVE", "name", "cookie")),
                    "response", List.of(Map.of("name", "x-served-by", "value", "tollgate"))))
            .check("checknothing", Map.of());
    assertThat(r.allowed()).isTrue();
    assertThat(r.requestHeaders())
        .containsExactly(
            HeaderOp.replace("x-env", "prod"),
            HeaderOp.append("x-tag", "a"),
            HeaderOp.remove("cookie"));
    assertThat(r.responseHeaders()).containsExactly(HeaderOp.replace("x-served-by", "tollgate"));
  }

  @Test
  void reportsEveryBadOperationByField() throws Exception {
    AdapterContract c =
        new AdapterContract(new HeadersAdapter(), dir)
            .build(
                Map.of(
                    "request",
                    List.of(
                        Map.of("op", "SET", "name", "x"),
                        Map.of("name", "bad name", "value", "v"),
                        Map.of("name", "x-no-value"))));
    assertThat(c.errors()).containsOnlyKeys("request[0].op", "request[1].name", "request[2].value");
  }

  @Test
  void requiresAtLeastOneOperation() throws Exception {
    assertThat(new AdapterContract(new HeadersAdapter(), dir).build(Map.of()).errors())
        .containsOnlyKeys("");
  }
}
