package io.tollgate.adapters.builtin.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Quotas;
import io.tollgate.adapters.builtin.AdapterContract;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuotaAdapterTest {
  @TempDir Path dir;

  /** Quotas in a map, one window that never ends: enough to see what the handler asks for. */
  static final class MapQuotas implements Quotas {
    final Map<String, Long> spent = new HashMap<>();
    final List<Limit> limits = new ArrayList<>();

    @Override
    public synchronized Decision tryConsume(String key, Limit limit, long hits) {
      limits.add(limit);
      long used = spent.getOrDefault(key, 0L);
      boolean ok = used + hits <= limit.requests();
      if (ok) {
        spent.put(key, used + hits);
      }
      return new Decision(
          ok,
          limit.requests(),
          limit.requests() - spent.getOrDefault(key, 0L),
          Duration.ofMillis(1500));
    }
  }

  final MapQuotas quotas = new MapQuotas();

  AdapterContract contract(Map<String, Object> params) throws Exception {
    return new AdapterContract(new QuotaAdapter(), dir).quotas(quotas).build(params);
  }

  static Map<String, Object> perSource(long max) {
    return Map.of(
        "quotas",
        List.of(
            Map.of(
                "name",
                "requestcount",
                "maxAmount",
                max,
                "validDuration",
                "1m",
                "overrides",
                List.of(Map.of("dimensions", Map.of("source", "10.0.0.9"), "maxAmount", 1L)))));
  }

  static Map<String, String> headers(CheckResult r) {
    return r.responseHeaders().stream().collect(Collectors.toMap(HeaderOp::name, HeaderOp::value));
  }

  @Test
  void spendsPerDimensionsAndDeniesWith429AndHeaders() throws Exception {
    AdapterContract c = contract(perSource(2));
    Map<String, Object> a = Map.of("dimensions", Map.of("source", "10.0.0.1", "path", "/x"));
    CheckResult first = c.check("requestcount", "quota", a);
    assertThat(first.allowed()).isTrue();
    assertThat(headers(first))
        .containsEntry("x-ratelimit-limit", "2")
        .containsEntry("x-ratelimit-remaining", "1")
        .containsEntry("x-ratelimit-reset", "2")
        .doesNotContainKey("retry-after");
    assertThat(c.check("requestcount", "quota", a).allowed()).isTrue();
    CheckResult third = c.check("requestcount", "quota", a);
    assertThat(third.allowed()).isFalse();
    assertThat(third.httpStatus()).isEqualTo(429);
    assertThat(third.message()).contains("requestcount").contains("resets in 2s");
    assertThat(headers(third))
        .containsEntry("x-ratelimit-remaining", "0")
        .containsEntry("retry-after", "2");
    // Another source has its own quota.
    assertThat(
            c.check("requestcount", "quota", Map.of("dimensions", Map.of("source", "10.0.0.2")))
                .allowed())
        .isTrue();
    assertThat(quotas.limits)
        .allSatisfy(
            l ->
                assertThat(l)
                    .isEqualTo(new Quotas.Limit(2, Duration.ofMinutes(1), Quotas.Mode.STRICT)));
  }

  @Test
  void anOverrideAppliesWhenAllItsDimensionsMatch() throws Exception {
    AdapterContract c = contract(perSource(5));
    Map<String, Object> special = Map.of("dimensions", Map.of("source", "10.0.0.9", "path", "/"));
    assertThat(c.check("requestcount", "quota", special).allowed()).isTrue();
    assertThat(c.check("requestcount", "quota", special).allowed()).isFalse();
    assertThat(quotas.limits.get(0).requests()).isEqualTo(1);
    assertThat(quotas.limits.get(0).window()).isEqualTo(Duration.ofMinutes(1)); // inherited
  }

  @Test
  void amountSpendsSeveralHitsAndModeIsPassedOn() throws Exception {
    Map<String, Object> params = new HashMap<>(perSource(10));
    params.put("mode", "fast");
    AdapterContract c = contract(params);
    assertThat(c.check("requestcount", "quota", Map.of("amount", 7L)).allowed()).isTrue();
    assertThat(c.check("requestcount", "quota", Map.of("amount", 4L)).allowed()).isFalse();
    assertThat(c.check("requestcount", "quota", Map.of("amount", 3L)).allowed()).isTrue();
    assertThat(quotas.limits.get(0).mode()).isEqualTo(Quotas.Mode.FAST);
    assertThatThrownBy(() -> c.check("requestcount", "quota", Map.of("amount", -1L)))
        .hasMessageContaining("must not be negative");
  }

  @Test
  void anInstanceWithoutAQuotaFailsNamingTheFix() throws Exception {
    AdapterContract c = contract(perSource(1));
    assertThatThrownBy(() -> c.check("other", "quota", Map.of()))
        .hasMessageContaining("no quota named 'other'")
        .hasMessageContaining("params.quotas");
  }

  @Test
  void withoutAQuotaServiceTheCheckFailsSayingSo() throws Exception {
    AdapterContract c = new AdapterContract(new QuotaAdapter(), dir).build(perSource(1));
    assertThatThrownBy(() -> c.check("requestcount", "quota", Map.of()))
        .hasMessageContaining("no quota service");
  }

  @Test
  void badParamsAreReportedByField() throws Exception {
    AdapterContract c =
        contract(
            Map.of(
                "mode",
                "sloppy",
                "status",
                200L,
                "quotas",
                List.of(
                    Map.of("name", "a", "maxAmount", 0L, "validDuration", "1m"),
                    Map.of("name", "b", "maxAmount", 5L, "validDuration", "soon"),
                    Map.of(
                        "maxAmount",
                        5L,
                        "validDuration",
                        "1s",
                        "overrides",
                        List.of(Map.of("maxAmount", 1L))),
                    Map.of("name", "d", "validDuration", "1s", "limit", 3L))));
    assertThat(c.errors())
        .containsOnlyKeys(
            "mode",
            "status",
            "quotas[0].maxAmount",
            "quotas[1].validDuration",
            "quotas[2].name",
            "quotas[2].overrides[0].dimensions",
            "quotas[3].maxAmount",
            "quotas[3].limit");
    assertThat(c.errors().get("quotas[1].validDuration"))
        .contains("'soon' is not a positive duration");
    assertThat(c.errors().get("quotas[0].maxAmount")).contains("must be positive");
    assertThat(contract(Map.of()).errors()).containsOnlyKeys("quotas");
  }
}
