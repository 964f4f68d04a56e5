package io.tollgate.pilot.kube;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Kubernetes manifests as generic trees, each with the file and line it starts at: what analyze and
 * inject read.
 */
public final class Manifests {
  static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  /** One document: {@code tree} is null for an empty one (kept so output keeps its documents). */
  public record Doc(String file, int line, JsonNode tree) {
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

  public static List<Doc> parse(String file, String text) throws IOException {
    List<Doc> out = new ArrayList<>();
    try (JsonParser p = YAML.getFactory().createParser(text)) {
      for (JsonToken t; (t = p.nextToken()) != null; ) {
        int line = p.currentTokenLocation().getLineNr();
        if (t == JsonToken.VALUE_NULL) {
          out.add(new Doc(file, line, null));
          continue;
        }
        JsonNode tree = YAML.readTree(p);
        if (!(tree instanceof ObjectNode)) {
          throw new IOException(
              file + ":" + line + ": expected a Kubernetes object, found " + tree.getNodeType());
        }
        out.add(new Doc(file, line, tree));
      }
    }
    return out;
  }

  /** The documents as one multi-document YAML stream; empty documents are dropped. */
  public static String write(List<JsonNode> trees) throws IOException {
    StringWriter w = new StringWriter();
    boolean first = true;
    for (JsonNode t : trees) {
      if (t == null) {
        continue;
      }
      if (!first) {
        w.write("---\n");
      }
      first = false;
      w.write(YAML.writeValueAsString(t));
    }
    return w.toString();
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
