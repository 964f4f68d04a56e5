package io.tollgate.adapters.builtin.list;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapters.builtin.AdapterContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListAdapterTest {
  @TempDir Path dir;

  private AdapterContract list(Map<String, Object> params) throws Exception {
    return new AdapterContract(new ListAdapter(), dir).build(params);
  }

  @Test
  void allowListPassesMembersAndDeniesOthers() throws Exception {
    AdapterContract c = list(Map.of("overrides", List.of("alice", "bob")));
    assertThat(c.value("bob").allowed()).isTrue();
    assertThat(c.value("Bob").allowed()).isFalse();
    assertThat(c.value("eve").message()).isEqualTo("'eve' is not in allow list 'under-test'");
    assertThat(c.value(null).allowed()).isFalse();
  }

  @Test
  void denyListDeniesMembersWithTheConfiguredStatus() throws Exception {
    AdapterContract c =
        list(Map.of("overrides", List.of("eve"), "blacklist", true, "status", 401L));
    assertThat(c.value("eve").httpStatus()).isEqualTo(401);
    assertThat(c.value("eve").message()).contains("is in deny list");
    assertThat(c.value("bob").allowed()).isTrue();
    assertThat(c.value(null).allowed()).isTrue();
  }

  @Test
  void caseInsensitiveStrings() throws Exception {
    AdapterContract c =
        list(Map.of("overrides", List.of("Admin"), "entryType", "case_insensitive_strings"));
    assertThat(c.value("ADMIN").allowed()).isTrue();
  }

  @Test
  void ipAddressesMatchCidrRangesFromAFile() throws Exception {
    Files.writeString(
        dir.resolve("ranges.txt"), "# office\n10.0.0.0/8   # all of it\n\n2001:db8::/32\n");
    AdapterContract c =
        list(Map.of("file", "ranges.txt", "entryType", "IP_ADDRESSES", "blacklist", true));
    assertThat(c.value("10.9.8.7").allowed()).isFalse();
    assertThat(c.value("2001:db8::1").allowed()).isFalse();
    assertThat(c.value("192.0.2.1").allowed()).isTrue();
    assertThat(c.watched()).containsExactly(dir.resolve("ranges.txt"));
  }

  @Test
  void badEntryInAFileIsReportedWithItsLine() throws Exception {
    Files.writeString(dir.resolve("ranges.txt"), "10.0.0.0/8\n\n10.0.0/33\n");
    AdapterContract c = list(Map.of("file", "ranges.txt", "entryType", "IP_ADDRESSES"));
    assertThat(c.errors().get("file"))
        .isEqualTo("file ranges.txt line 3: '10.0.0/33' is not an IP address or CIDR range");
  }

  @Test
  void badInlineEntryIsReportedByIndex() throws Exception {
    AdapterContract c =
        list(Map.of("overrides", List.of("10.0.0.1", "nope"), "entryType", "IP_ADDRESSES"));
    assertThat(c.errors()).containsOnlyKeys("overrides[1]");
  }

  @Test
  void regexEntriesMatchTheWholeValue() throws Exception {
    AdapterContract c =
        list(Map.of("overrides", List.of("/api/v[0-9]+/.*", "/health"), "entryType", "REGEX"));
    assertThat(c.value("/api/v2/users").allowed()).isTrue();
    assertThat(c.value("/x/api/v2/users").allowed()).isFalse();
    assertThat(c.value("/healthz").allowed()).isFalse();
  }

  @Test
  void rememberedRegexAnswersStayRightPastTheMemoBound() throws Exception {
    AdapterContract c =
        list(Map.of("overrides", List.of("(?i).*(sqlmap|nikto).*"), "entryType", "REGEX"));
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < ListAdapter.MEMO_MAX_ENTRIES + 100; i += 7) {
        assertThat(c.value("agent-" + i).allowed()).as("agent-%d", i).isFalse();
        assertThat(c.value("SQLMap/" + i).allowed()).as("SQLMap/%d", i).isTrue();
      }
    }
    String longValue = "x".repeat(ListAdapter.MEMO_MAX_VALUE_LENGTH + 1) + "nikto";
    assertThat(c.value(longValue).allowed()).isTrue();
    assertThat(c.value(longValue).allowed()).isTrue();
  }

  @Test
  void regexThatDoesNotCompileIsReported() throws Exception {
    AdapterContract c = list(Map.of("overrides", List.of("(unclosed"), "entryType", "REGEX"));
    assertThat(c.errors().get("overrides[0]"))
        .contains("regex '(unclosed' does not compile")
        .contains("missing");
  }

  @Test
  void missingFileAndMissingEntriesAreReported() throws Exception {
    assertThat(list(Map.of("file", "nope.txt")).errors()).containsKey("file");
    assertThat(list(Map.of()).errors()).containsKey("");
    assertThat(
            list(Map.of("overrides", List.of("a"), "entryType", "IPS")).errors().get("entryType"))
        .contains("IP_ADDRESSES");
  }
}
