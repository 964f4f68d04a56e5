package io.tollgate.common.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one YAML reader: values with their locations, and what it refuses. */
class YamlReaderTest {
  private final List<ConfigError> errors = new ArrayList<>();

  private List<YamlDocument> read(String text) {
    return YamlReader.read("f.yaml", text, "a document here must be a map", errors);
  }

  private List<String> problems(String text) {
    read(text);
    return errors.stream().map(ConfigError::toString).toList();
  }

  @Test
  void valuesKeepTheirLocationsAndTheirText() {
    List<YamlDocument> docs = read("a: 1\nb:\n  - x\n  - {c: \"010\", d: 010, e: yes}\n---\n");
    assertThat(errors).isEmpty();
    assertThat(docs).hasSize(1);
    YamlDocument d = docs.get(0);
    assertThat(d.root()).containsEntry("a", 1L);
    assertThat(d.at("b[1].d")).isEqualTo(new Located(4, 19));
    assertThat(d.keyAt("b[1].d")).isEqualTo(new Located(4, 16));
    assertThat(d.at("b[1].nope")).as("the closest enclosing value").isEqualTo(new Located(4, 5));
    assertThat(((List<?>) d.root().get("b")).get(1))
        .isEqualTo(Map.of("c", "010", "d", 8L, "e", "yes"));
    assertThat(d.textAt("b[1].d")).isEqualTo("010");
    assertThat(d.styleAt("b[1].c")).isEqualTo(YamlDocument.ScalarStyle.QUOTED);
    assertThat(d.textAt("b")).as("not a scalar").isNull();
  }

  @Test
  void whatIsRefusedIsRefusedWithItsLocation() {
    assertThat(problems("a: 1\nb: {a: 2, a: 3}\n"))
        .containsExactly(
            "f.yaml:2:11: duplicate key 'a' (first at f.yaml:2:5); a map holds each key once");
    errors.clear();
    assertThat(problems("- a\n")).containsExactly("f.yaml:1:1: a document here must be a map");
    errors.clear();
    assertThat(problems("a: !env x\n"))
        .singleElement()
        .asString()
        .isEqualTo("f.yaml:1:4: unsupported YAML tag !env");
    errors.clear();
    assertThat(problems("a: 1\nb: [c\n  d: e\n"))
        .singleElement()
        .asString()
        .startsWith("f.yaml:3:4: YAML syntax error: ")
        .endsWith(" at 'd: e'");
    assertThat(read("a: 1\n---\nb: [\n")).as("a half-read file gives nothing").isEmpty();
  }

  @Test
  void yamlBombsAreRefused() {
    StringBuilder bomb = new StringBuilder("x0: &x0 [a, b]\n");
    for (int i = 1; i <= 24; i++) {
      bomb.append("x").append(i).append(": &x").append(i);
      bomb.append(" [*x").append(i - 1).append(", *x").append(i - 1).append("]\n");
    }
    assertThat(problems(bomb.toString()))
        .singleElement()
        .asString()
        .startsWith("f.yaml:")
        .contains("aliases expand to more than " + YamlReader.MAX_ALIASED_VALUES + " values");
    errors.clear();
    StringBuilder many = new StringBuilder("x: &x [a]\ny:\n");
    for (int i = 0; i <= YamlReader.MAX_ALIASES; i++) {
      many.append("  - *x\n");
    }
    assertThat(problems(many.toString()))
        .singleElement()
        .asString()
        .contains(
            "YAML error: Number of aliases for non-scalar nodes exceeds the specified max=50");
    errors.clear();
    assertThat(problems("a: &a [b, *a]\n"))
        .containsExactly("f.yaml:1:4: YAML error: an alias inside the value it names");
    errors.clear();
    String deep = "a: " + "[".repeat(YamlReader.MAX_NESTING_DEPTH + 1) + "]".repeat(51) + "\n";
    assertThat(problems(deep)).singleElement().asString().contains("Nesting Depth exceeded");
  }

  @Test
  void aFewAliasesAreFine() {
    List<YamlDocument> docs = read("base: &b {x: 1}\none: *b\ntwo: *b\n");
    assertThat(errors).isEmpty();
    assertThat(docs.get(0).root()).containsEntry("two", Map.of("x", 1L));
  }

  @Test
  void aLongRunWithoutSpaceIsRefusedBeforeTheScannerSlowsDown() {
    String run = "a".repeat(YamlReader.MAX_RUN_WITHOUT_SPACE + 1);
    assertThat(problems("kind: Rule\nmatch: 'x == \"" + run + "\"'\n"))
        .singleElement()
        .asString()
        .startsWith("f.yaml:2:14: YAML error: more than 262144 characters without white space");
  }

  @Test
  void longValuesWithSpacesAndRunsJustUnderTheLimitAreRead() {
    String words = ("word ".repeat(100_000));
    assertThat(read("v: '" + words + "'\nw: " + "b".repeat(YamlReader.MAX_RUN_WITHOUT_SPACE - 4)))
        .hasSize(1);
    assertThat(errors).isEmpty();
  }
}
