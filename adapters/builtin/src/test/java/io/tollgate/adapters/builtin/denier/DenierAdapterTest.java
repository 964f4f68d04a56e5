package io.tollgate.adapters.builtin.denier;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapters.builtin.AdapterContract;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DenierAdapterTest {
  @TempDir Path dir;

  @Test
  void deniesWithConfiguredStatusAndMessage() throws Exception {
    CheckResult r =
        new AdapterContract(new DenierAdapter(), dir)
            .build(Map.of("status", 451L, "message", "legal says no"))
            .check("checknothing", Map.of());
    assertThat(r.allowed()).isFalse();
    assertThat(r.httpStatus()).isEqualTo(451);
    assertThat(r.message()).isEqualTo("legal says no");
  }

  @Test
  void defaultsTo403() throws Exception {
    CheckResult r =
        new AdapterContract(new DenierAdapter(), dir)
            .build(Map.of())
            .check("authorization", Map.of());
    assertThat(r.httpStatus()).isEqualTo(403);
    assertThat(r.message()).isEqualTo("denied");
  }

  @Test
  void rejectsNonErrorStatusAndUnknownParams() throws Exception {
    AdapterContract c =
        new AdapterContract(new DenierAdapter(), dir).build(Map.of("status", 200L, "mesage", "x"));
    assertThat(c.errors()).containsOnlyKeys("status", "mesage");
    assertThat(c.errors().get("status")).contains("400-599");
  }
}
