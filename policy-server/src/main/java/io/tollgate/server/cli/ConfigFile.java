package io.tollgate.server.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code ConfigFile} is the optional YAML file given with {@code --config}: keys are the long
 * option names without dashes ({@code grpc-port: 9091}, {@code policy: /etc/tollgate/policy}).
 * Precedence: command-line flag, then {@code TOLLGATE_*} environment variable, then this file, then
 * the built-in default.
 */
record ConfigFile(Path path, Map<String, String> values) {
  static final ConfigFile NONE = new ConfigFile(null, Map.of());

  /** Reads the file named by {@code --config X} or {@code --config=X} in {@code args}, if any. */
  static ConfigFile find(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return read(Path.of(args[i + 1]));
      }
      if (args[i].startsWith("--config=")) {
        return read(Path.of(args[i].substring("--config=".length())));
      }
    }
    String env = System.getenv("TOLLGATE_CONFIG");
    return env == null || env.isBlank() ? NONE : read(Path.of(env));
  }

  static ConfigFile read(Path path) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(path));
    } catch (JsonProcessingException e) {
      JsonLocation l = e.getLocation();
      String at = l == null ? "" : ":" + l.getLineNr() + ":" + l.getColumnNr();
      throw new ConfigFileException(path + at + ": not valid YAML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigFileException(path + ": cannot read the config file: " + e.getMessage());
    }
    Map<String, String> values = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return new ConfigFile(path, values);
    }
    if (!root.isObject()) {
      throw new ConfigFileException(
          path + ": the config file must be a mapping of option names to values");
    }
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      if (e.getValue().isContainerNode()) {
        throw new ConfigFileException(path + ": " + e.getKey() + ": must be a single value");
      }
      values.put(e.getKey(), e.getValue().asText());
    }
    return new ConfigFile(path, values);
  }

  /** Fails on keys that name no option of the command. */
  void checkKeys(Set<String> known) {
    for (String k : values.keySet()) {
      if (!known.contains(k)) {
        throw new ConfigFileException(
            path
                + ": unknown option '"
                + k
                + "'; known: "
                + String.join(", ", new java.util.TreeSet<>(known)));
      }
    }
  }

  /** A config file that cannot be used. */
  static final class ConfigFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConfigFileException(String message) {
      super(message);
    }
  }
}
