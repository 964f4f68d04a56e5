package io.tollgate.pilot.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.YamlDocument;
import io.tollgate.common.config.YamlReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads every {@code *.yaml} / {@code *.yml} file of a directory ({@link MeshFiles};
 * multi-document) into a {@link Mesh}, then validates it as a whole ({@link MeshValidator}). The
 * files are read by common's {@link YamlReader} (a duplicate key is refused with both locations,
 * with its limits against YAML bombs), then each document's map tree is bound by Jackson. Field
 * names are Istio's; a field outside the supported subset, a wrong type or an unknown kind is a
 * problem with {@code file:line:column}: the path of Jackson's error is looked up in the document.
 */
public final class MeshLoader {
  private static final String NOT_A_MAP =
      "expected an object with apiVersion, kind, metadata and spec";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .addHandler(
              new DeserializationProblemHandler() {
                // Fail at once instead of skipping the value; the exception's path ends at the
                // field, whose key the document locates.
                @Override
                public boolean handleUnknownProperty(
                    DeserializationContext ctxt,
                    JsonParser p,
                    JsonDeserializer<?> deserializer,
                    Object beanOrClass,
                    String propertyName)
                    throws IOException {
                  throw UnrecognizedPropertyException.from(
                      ctxt.getParser(),
                      beanOrClass,
                      propertyName,
                      deserializer.getKnownPropertyNames());
                }
              });
  private static final ObjectReader RESOURCE = JSON.readerFor(Resource.class);

  private MeshLoader() {}

  public static Mesh load(Path dir) throws MeshException {
    try {
      return load(MeshFiles.read(dir));
    } catch (IOException e) {
      throw new MeshException(
          List.of(
              ConfigError.of(dir.toString(), "cannot list the mesh directory: " + e.getMessage())));
    }
  }

  /**
   * The mesh written in {@code files}, as read by {@link MeshFiles#read}: what is validated is
   * exactly what was read.
   */
  public static Mesh load(List<MeshFiles.File> files) throws MeshException {
    List<ConfigError> problems = new ArrayList<>();
    List<Mesh.Located<ServiceEntry>> entries = new ArrayList<>();
    List<Mesh.Located<VirtualService>> services = new ArrayList<>();
    List<Mesh.Located<DestinationRule>> rules = new ArrayList<>();
    for (MeshFiles.File file : files) {
      String name = file.name();
      if (file.content() == null) {
        problems.add(ConfigError.of(name, "cannot read: " + file.error()));
        continue;
      }
      for (YamlDocument doc : YamlReader.read(name, file.content(), NOT_A_MAP, problems)) {
        Resource r = bind(doc, problems);
        int line = doc.start().line();
        if (r instanceof ServiceEntry se) {
          entries.add(new Mesh.Located<>(se, name, line));
        } else if (r instanceof VirtualService vs) {
          services.add(new Mesh.Located<>(vs, name, line));
        } else if (r instanceof DestinationRule dr) {
          rules.add(new Mesh.Located<>(dr, name, line));
        }
      }
    }
    Mesh mesh = new Mesh(List.copyOf(entries), List.copyOf(services), List.copyOf(rules));
    problems.addAll(MeshValidator.validate(mesh));
    if (!problems.isEmpty()) {
      throw new MeshException(problems);
    }
    return mesh;
  }

  /** The resource {@code doc} writes, or null with the problem added to {@code problems}. */
  private static Resource bind(YamlDocument doc, List<ConfigError> problems) {
    String file = doc.file();
    try {
      JsonNode tree = JSON.valueToTree(doc.root());
      return RESOURCE.readValue(tree);
    } catch (UnrecognizedPropertyException e) {
      problems.add(
          doc.keyAt(path(e))
              .error(
                  file,
                  "field '"
                      + e.getPropertyName()
                      + "' is not supported here (supported: "
                      + e.getKnownPropertyIds()
                      + ")"));
    } catch (InvalidTypeIdException e) {
      problems.add(
          e.getTypeId() == null
              ? doc.start()
                  .error(
                      file,
                      "a document without kind (pilot-lite reads ServiceEntry, VirtualService"
                          + " and DestinationRule)")
              : doc.at(YamlDocument.child(path(e), "kind"))
                  .error(
                      file,
                      "kind '"
                          + e.getTypeId()
                          + "' is not read by pilot-lite (it reads ServiceEntry, VirtualService"
                          + " and DestinationRule; keep other objects in other files)"));
    } catch (JsonMappingException e) {
      // ConfigError needs a message; Jackson's is only null when made without one.
      String message = e.getOriginalMessage();
      problems.add(
          doc.at(path(e)).error(file, message == null ? e.getClass().getSimpleName() : message));
    } catch (IOException e) {
      problems.add(doc.start().error(file, "cannot read: " + e.getMessage()));
    }
    return null;
  }

  /** The path of a Jackson error in {@link YamlDocument}'s terms: {@code spec.http[0].timeout}. */
  static String path(JsonMappingException e) {
    String path = "";
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        path = YamlDocument.child(path, r.getFieldName());
      } else if (r.getIndex() >= 0) {
        path = YamlDocument.item(path, r.getIndex());
      }
    }
    return path;
  }
}
