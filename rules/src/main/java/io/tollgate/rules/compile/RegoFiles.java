package io.tollgate.rules.compile;

import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.rego.RegoBundle;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.rules.snapshot.PolicySnapshot;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code RegoFiles} reads a policy's Rego modules and data documents and prepares them in OPA. */
public final class RegoFiles {
  private RegoFiles() {}

  /**
   * Reads the Rego modules and data documents and uploads them to OPA; null when there are none.
   */
  public static RegoBundle prepare(
      PolicyFiles files,
      PolicySnapshot previous,
      Problems problems,
      boolean[] torn,
      java.util.function.Supplier<RegoEngine> rego,
      boolean strict) {
    if (files.rego().isEmpty()) {
      for (Path d : files.data()) {
        problems.add(
            ConfigError.of(
                files.relative(d),
                "a Rego data document, but the policy has no .rego files to use it (rename it if it is not data)"));
      }
      return null;
    }
    Map<String, String> sources = new LinkedHashMap<>();
    for (Path f : files.rego()) {
      String rel = files.relative(f);
      String text = PolicyInputs.read(files, f, problems, torn);
      if (text != null) {
        sources.put(rel, text);
      }
    }
    Map<String, Object> data = new LinkedHashMap<>();
    for (Path f : files.data()) {
      String rel = files.relative(f);
      String text = PolicyInputs.read(files, f, problems, torn);
      if (text == null) {
        continue;
      }
      try {
        data.put(
            rel,
            rel.endsWith(".json")
                ? new com.fasterxml.jackson.databind.ObjectMapper().readValue(text, Object.class)
                : new org.yaml.snakeyaml.Yaml(
                        new org.yaml.snakeyaml.constructor.SafeConstructor(
                            new org.yaml.snakeyaml.LoaderOptions()))
                    .load(text));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        var l = e.getLocation();
        problems.add(
            new ConfigError(
                rel,
                l == null ? 0 : l.getLineNr(),
                l == null ? 0 : l.getColumnNr(),
                "not valid JSON: " + e.getOriginalMessage()));
      } catch (org.yaml.snakeyaml.error.MarkedYAMLException e) {
        var m = e.getProblemMark();
        problems.add(
            new ConfigError(
                rel,
                m == null ? 0 : m.getLine() + 1,
                m == null ? 0 : m.getColumn() + 1,
                "not valid YAML: " + e.getProblem()));
      } catch (org.yaml.snakeyaml.error.YAMLException e) {
        problems.add(ConfigError.of(rel, "not valid YAML: " + e.getMessage()));
      }
    }
    if (torn[0] || sources.size() != files.rego().size() || data.size() != files.data().size()) {
      return null;
    }
    RegoEngine.Prepared p =
        rego.get().prepare(sources, data, previous == null ? null : previous.rego(), strict);
    problems.list().addAll(p.errors());
    return p.bundle();
  }
}
