package io.tollgate.pilot.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.Located;
import io.tollgate.common.config.YamlDocument;
import io.tollgate.common.config.YamlReader;
import io.tollgate.pilot.kube.DocumentSpans.Span;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Kubernetes manifests as generic trees, each with the file and line it starts at: what analyze and
 * inject read.
 *
 * <p>Files are read with the one YAML reader ({@link YamlReader}: its limits against YAML bombs, a
 * duplicate key refused, YAML 1.2 scalars). A quoted scalar stays a string ({@code "8080"} is text,
 * not a number) and an alias is expanded to a copy of the value its anchor names. Each document
 * also keeps its text as written, so that one a tool leaves alone is written back byte for byte,
 * comments, quotes, anchors and aliases included ({@link #writeDocs}); a document a tool changed is
 * written from its tree, aliases expanded.
 */
public final class Manifests {
  static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              // A string that reads as a number ("8080", "15001") keeps its quotes, or it would
              // come back as a number.
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));

  /**
   * One document: {@code tree} is null for an empty one (kept so output keeps its documents);
   * {@code source} is its text as written (without its {@code ---} line), or null for a document
   * made or changed in memory; {@code yaml} holds the location of every value, or null.
   */
  public record Doc(String file, int line, JsonNode tree, String source, YamlDocument yaml) {
    public Doc(String file, int line, JsonNode tree) {
      this(file, line, tree, null, null);
    }

    /** This document with {@code tree} changed: written from the tree, not from its source. */
    public Doc changed() {
      return new Doc(file, line, tree, null, yaml);
    }

    public String kind() {
      return tree == null ? "" : tree.path("kind").asText("");
    }

    public String name() {
      return tree.path("metadata").path("name").asText("");
    }

    public String namespace() {
      String ns = tree.path("metadata").path("namespace").asText("");
      return ns.isEmpty() ? "default" : ns;
    }

    public String describe() {
      return kind() + " " + namespace() + "/" + name();
    }

    /**
     * The line of the value at {@code path} ({@code spec.containers[0].ports[1].name}), or the
     * document's line when it is not known.
     */
    public int lineOf(String path) {
      Located at = yaml == null ? Located.UNKNOWN : yaml.at(path);
      return at.line() > 0 ? at.line() : line;
    }
  }

  private Manifests() {}

  /** Every document of {@code path} (a file, or every *.yaml / *.yml in a directory). */
  public static List<Doc> read(Path path) throws IOException {
    List<Path> files;
    if (Files.isDirectory(path)) {
      try (Stream<Path> s = Files.walk(path)) {
        files =
            s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                .sorted()
                .toList();
      }
    } else {
      files = List.of(path);
    }
    List<Doc> out = new ArrayList<>();
    for (Path f : files) {
      String name =
          Files.isDirectory(path) ? path.relativize(f).toString() : f.getFileName().toString();
      out.addAll(parse(name, Files.readString(f)));
    }
    return out;
  }

  /**
   * The documents of {@code text}; an {@link IOException} naming file:line:column for the first
   * problem (YAML syntax, a limit, a document that is not a map).
   */
  public static List<Doc> parse(String file, String text) throws IOException {
    List<ConfigError> errors = new ArrayList<>();
    List<YamlDocument> docs =
        YamlReader.read(file, text, "expected a Kubernetes object (a map)", errors);
    if (!errors.isEmpty()) {
      throw new IOException(errors.get(0).toString());
    }
    List<Span> spans = DocumentSpans.of(text);
    List<Doc> out = new ArrayList<>();
    for (YamlDocument d : docs) {
      int line = d.start().line();
      String source = null;
      for (Span s : spans) {
        if (s.firstLine() <= line && line <= s.lastLine()) {
          source = s.text();
          break;
        }
      }
      out.add(new Doc(file, line, YAML.valueToTree(d.root()), source, d));
    }
    return out;
  }

  /** The documents as one multi-document YAML stream; empty documents are dropped. */
  public static String write(List<JsonNode> trees) throws IOException {
    List<Doc> docs = new ArrayList<>();
    for (JsonNode t : trees) {
      docs.add(new Doc("", 0, t));
    }
    return writeDocs(docs);
  }

  /**
   * The documents as one multi-document YAML stream: a document with its {@link Doc#source} as it
   * was written, any other from its tree. Empty documents are dropped.
   */
  public static String writeDocs(List<Doc> docs) throws IOException {
    StringBuilder w = new StringBuilder();
    boolean first = true;
    for (Doc d : docs) {
      if (d.tree() == null) {
        continue;
      }
      if (!first) {
        w.append("---\n");
      }
      first = false;
      String text = d.source() != null ? d.source() : YAML.writeValueAsString(d.tree());
      w.append(text);
      if (!text.endsWith("\n")) {
        w.append('\n');
      }
    }
    return w.toString();
  }

  /**
   * The path of the pod template in a document of {@code kind} ({@code spec.template}), empty for a
   * Pod: where {@link #podTemplate} finds it, for {@link Doc#lineOf}.
   */
  public static String podTemplatePath(String kind) {
    return switch (kind) {
      case "CronJob" -> "spec.jobTemplate.spec.template";
      case "Pod" -> "";
      default -> "spec.template";
    };
  }

  /**
   * The pod template of a workload kind ({@code spec.template}), the pod itself for a Pod, else
   * null.
   */
  public static ObjectNode podTemplate(JsonNode tree) {
    String kind = tree.path("kind").asText("");
    switch (kind) {
      case "Pod":
        return (ObjectNode) tree;
      case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController":
        JsonNode t = tree.path("spec").path("template");
        return t instanceof ObjectNode o ? o : null;
      case "CronJob":
        JsonNode c = tree.path("spec").path("jobTemplate").path("spec").path("template");
        return c instanceof ObjectNode o ? o : null;
      default:
        return null;
    }
  }
}
