package io.tollgate.pilot.model;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tollgate.common.config.ConfigError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads every {@code *.yaml} / {@code *.yml} file of a directory ({@link MeshFiles};
 * multi-document) into a {@link Mesh}, then validates it as a whole ({@link MeshValidator}). Field
 * names are Istio's; a field outside the supported subset, a wrong type or an unknown kind is a
 * problem with {@code file:line:column}.
 */
public final class MeshLoader {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .addHandler(
              new DeserializationProblemHandler() {
                // Fail at once instead of skipping the value (see fieldLocation for where it is
                // reported).
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
      int docLine = 1;
      try (JsonParser parser = YAML.getFactory().createParser(file.content())) {
        ObjectReader reader = YAML.readerFor(Resource.class);
        for (JsonToken t; (t = parser.nextToken()) != null; ) {
          if (t == JsonToken.VALUE_NULL) {
            continue; // an empty document, e.g. after a trailing ---
          }
          int line = parser.currentTokenLocation().getLineNr();
          docLine = line;
          if (t != JsonToken.START_OBJECT) {
            problems.add(
                new ConfigError(
                    name,
                    line,
                    parser.currentTokenLocation().getColumnNr(),
                    "expected an object with apiVersion, kind, metadata and spec"));
            break;
          }
          Resource r = reader.readValue(parser);
          if (r instanceof ServiceEntry se) {
            entries.add(new Mesh.Located<>(se, name, line));
          } else if (r instanceof VirtualService vs) {
            services.add(new Mesh.Located<>(vs, name, line));
          } else if (r instanceof DestinationRule dr) {
            rules.add(new Mesh.Located<>(dr, name, line));
          }
        }
      } catch (UnrecognizedPropertyException e) {
        int[] at = fieldLocation(file.content(), docLine, e.getPropertyName());
        String message =
            "field '"
                + e.getPropertyName()
                + "' is not supported here (supported: "
                + e.getKnownPropertyIds()
                + ")";
        problems.add(
            at == null ? at(name, e, message) : new ConfigError(name, at[0], at[1], message));
      } catch (InvalidTypeIdException e) {
        problems.add(
            at(
                name,
                e,
                e.getTypeId() == null
                    ? "a document without kind (pilot-lite reads ServiceEntry, VirtualService"
                        + " and DestinationRule)"
                    : "kind '"
                        + e.getTypeId()
                        + "' is not read by pilot-lite (it reads ServiceEntry, VirtualService"
                        + " and DestinationRule; keep other objects in other files)"));
      } catch (JsonProcessingException e) {
        // ConfigError needs a message; Jackson's is only null when made without one.
        String message = e.getOriginalMessage();
        problems.add(at(name, e, message == null ? e.getClass().getSimpleName() : message));
      } catch (IOException e) {
        problems.add(ConfigError.of(name, "cannot read: " + e.getMessage()));
      }
    }
    Mesh mesh = new Mesh(List.copyOf(entries), List.copyOf(services), List.copyOf(rules));
    problems.addAll(MeshValidator.validate(mesh));
    if (!problems.isEmpty()) {
      throw new MeshException(problems);
    }
    return mesh;
  }

  /**
   * Where {@code field:} is first written in the document starting at {@code fromLine}. Jackson
   * reads records through a buffer and can only tell where the enclosing object ended.
   */
  static int[] fieldLocation(String content, int fromLine, String field) {
    List<String> lines = content.lines().toList();
    java.util.regex.Pattern key =
        java.util.regex.Pattern.compile(
            "(^|[\\s{,-])(" + java.util.regex.Pattern.quote(field) + ")\\s*:");
    for (int i = Math.max(0, fromLine - 1); i < lines.size(); i++) {
      var m = key.matcher(lines.get(i));
      if (m.find()) {
        return new int[] {i + 1, m.start(2) + 1};
      }
    }
    return null;
  }

  private static ConfigError at(String file, JsonProcessingException e, String message) {
    JsonLocation l = e.getLocation();
    return new ConfigError(
        file, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(), message);
  }
}
