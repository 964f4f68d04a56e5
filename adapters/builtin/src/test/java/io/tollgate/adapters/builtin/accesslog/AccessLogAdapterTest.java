package io.tollgate.adapters.builtin.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.ReportHandler;
import io.tollgate.adapters.builtin.AdapterContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogAdapterTest {
  @TempDir Path dir;

  @Test
  void writesOneValidJsonLinePerEntry() throws Exception {
    ReportHandler h =
        (ReportHandler)
            new AdapterContract(new AccessLogAdapter(), dir)
                .build(Map.of("path", "logs/access.jsonl"))
                .handler();
    h.report(
        new Instance(
            "access",
            "logentry",
            Map.of(
                "severity", "ERROR",
                "timestamp", Instant.parse("2026-11-25T10:00:00Z"),
                "variables",
                    Map.of(
                        "path",
                        "/a \"quoted\" path",
                        "code",
                        503L,
                        "latency",
                        Duration.ofMillis(12),
                        "headers",
                        Map.of("user-agent", "curl"),
                        "mtls",
                        true))),
        Attributes.builder().build());
    h.report(new Instance("access", "logentry", Map.of()), Attributes.builder().build());
    h.close();
    List<String> lines = Files.readAllLines(dir.resolve("logs/access.jsonl"));
    assertThat(lines).hasSize(2);
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertThat(first.get("timestamp").asText()).isEqualTo("2026-11-25T10:00:00Z");
    assertThat(first.get("severity").asText()).isEqualTo("ERROR");
    assertThat(first.get("instance").asText()).isEqualTo("access");
    assertThat(first.get("path").asText()).isEqualTo("/a \"quoted\" path");
    assertThat(first.get("code").asLong()).isEqualTo(503);
    assertThat(first.get("latency").asDouble()).isEqualTo(12.0);
    assertThat(first.at("/headers/user-agent").asText()).isEqualTo("curl");
    assertThat(first.get("mtls").asBoolean()).isTrue();
    JsonNode second = new ObjectMapper().readTree(lines.get(1));
    assertThat(second.get("severity").asText()).isEqualTo("INFO");
    assertThat(Instant.parse(second.get("timestamp").asText()))
        .isAfter(Instant.now().minusSeconds(60));
  }

  @Test
  void rotatesBySizeAndKeepsMaxFiles() throws Exception {
    ReportHandler h =
        (ReportHandler)
            new AdapterContract(new AccessLogAdapter(), dir)
                .build(Map.of("path", "access.jsonl", "maxSizeMB", 1L, "maxFiles", 2L))
                .handler();
    String big = "x".repeat(10_000);
    for (int i = 0; i < 400; i++) { // about 4 MB
      h.report(
          new Instance(
              "access", "logentry", Map.of("variables", Map.of("i", (long) i, "pad", big))),
          Attributes.builder().build());
    }
    h.close();
    assertThat(Files.size(dir.resolve("access.jsonl"))).isLessThanOrEqualTo(1024 * 1024);
    assertThat(dir.resolve("access.jsonl.1")).exists();
    assertThat(dir.resolve("access.jsonl.2")).exists();
    assertThat(dir.resolve("access.jsonl.3")).doesNotExist();
    List<String> last = Files.readAllLines(dir.resolve("access.jsonl"));
    assertThat(new ObjectMapper().readTree(last.get(last.size() - 1)).get("i").asLong())
        .isEqualTo(399);
  }

  @Test
  void badParams() throws Exception {
    var c =
        new AdapterContract(new AccessLogAdapter(), dir)
            .build(Map.of("maxSizeMB", 0L, "maxFiles", 1000L, "colour", "red"));
    assertThat(c.errors()).containsOnlyKeys("maxSizeMB", "maxFiles", "colour");
  }
}
