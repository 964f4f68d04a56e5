package io.tollgate.examples.apikey;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.ConfigErrors;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.Params;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyAdapterTest {
  @TempDir Path dir;
  final Map<String, String> errors = new HashMap<>();

  private CheckHandler build(Map<String, Object> params) throws Exception {
    ConfigErrors sink =
        new ConfigErrors() {
          @Override
          public void add(String field, String message) {
            errors.put(field, message);
          }

          @Override
          public boolean isEmpty() {
            return errors.isEmpty();
          }
        };
    return (CheckHandler)
        new ApiKeyAdapter().build(new HandlerSpec("keys", new Params(params, sink), dir, p -> {}));
  }

  private static String hash(String key) {
    return HexFormat.of().formatHex(ApiKeyAdapter.sha256(key));
  }

  private static CheckResult check(CheckHandler h, String key) throws Exception {
    Map<String, Object> v = new HashMap<>();
    if (key != null) {
      v.put("value", key);
    }
    return h.check(new Instance("k", "listentry", v), Attributes.builder().build());
  }

  @Test
  void knownKeyPassesAndNamesTheClientUpstream() throws Exception {
    Files.writeString(
        dir.resolve("keys.txt"),
        "# clients\n" + hash("s3cret") + " mobile-app\n" + hash("other") + " batch\n");
    CheckHandler h = build(Map.of("keyFile", "keys.txt"));
    assertThat(errors).isEmpty();
    CheckResult ok = check(h, "s3cret");
    assertThat(ok.allowed()).isTrue();
    assertThat(ok.requestHeaders()).containsExactly(HeaderOp.replace("x-client-id", "mobile-app"));
    assertThat(check(h, "wrong").message()).isEqualTo("invalid API key");
    assertThat(check(h, "wrong").httpStatus()).isEqualTo(401);
    assertThat(check(h, null).message()).isEqualTo("missing API key");
  }

  @Test
  void malformedLineIsReportedWithItsNumber() throws Exception {
    Files.writeString(dir.resolve("keys.txt"), hash("a") + " ok\nnot-a-hash client\n");
    build(Map.of("keyFile", "keys.txt", "header", "x-client"));
    assertThat(errors.get("keyFile")).contains("keys.txt line 2");
  }

  @Test
  void missingFileAndParamsAreReported() throws Exception {
    build(Map.of("keyFile", "nope.txt"));
    assertThat(errors).containsKey("keyFile");
    errors.clear();
    build(Map.of("status", 200L));
    assertThat(errors).containsKeys("keyFile", "status");
  }
}
