package io.tollgate.quota.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tollgate.common.config.ConfigError;
import io.tollgate.testing.InputTimeout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes {@link RateLimitConfigParser}: a rate-limit config file is written by whoever runs a
 * domain, so any text must give either a config or located problems, never an exception. Bad input
 * is documented as the {@link RateLimitConfigParser.Result#problems() problems} of the result: this
 * target accepts no exception at all. A parsed config is then matched, since a config that parses
 * must also be servable.
 *
 * <p>The corpus ({@code RateLimitConfigParserFuzzTestInputs/parse}) holds the configs of the tests,
 * the bundled examples and the benchmarks.
 */
@ExtendWith(InputTimeout.class)
class RateLimitConfigParserFuzzTest {
  private static final String FILE = "limits.yaml";

  @FuzzTest(maxDuration = "30s")
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    RateLimitConfigParser.Result r = RateLimitConfigParser.parse(FILE, text);
    if (!r.problems().isEmpty()) {
      assertThat(r.config()).as("a config with problems").isNull();
      // YAML's line breaks: \r\n, \r, \n, NEL, LS and PS.
      int lines = text.split("\r\n|[\r\n\u0085\u2028\u2029]", -1).length;
      for (ConfigError e : r.problems()) {
        assertThat(e.file()).as(e.toString()).isEqualTo(FILE);
        assertThat(e.line()).as("line of " + e).isBetween(0, lines + 1);
        assertThat(e.message()).as(e.toString()).isNotBlank();
      }
      return;
    }
    DomainConfig config = r.config();
    assertThat(config).as("neither a config nor problems").isNotNull();
    assertThat(config.domain()).isNotBlank();
    DescriptorMatcher matcher = new DescriptorMatcher(Map.of(config.domain(), config));
    List<DescriptorMatcher.Entry> entries = new ArrayList<>();
    for (Descriptor d : config.descriptors().values()) {
      entries.add(new DescriptorMatcher.Entry(d.key(), d.value()));
      matcher.match(config.domain(), entries);
      for (Descriptor child : d.children().values()) {
        matcher.match(
            config.domain(),
            List.of(
                new DescriptorMatcher.Entry(d.key(), d.value()),
                new DescriptorMatcher.Entry(child.key(), child.value())));
      }
    }
    for (Descriptor d : config.prefixes()) {
      String v = d.value();
      matcher.match(
          config.domain(),
          List.of(new DescriptorMatcher.Entry(d.key(), v.substring(0, v.length() - 1) + "x")));
    }
  }
}
