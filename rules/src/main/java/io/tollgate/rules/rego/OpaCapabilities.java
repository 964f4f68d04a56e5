package io.tollgate.rules.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.common.config.ConfigError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code OpaCapabilities} keeps Rego written by rule authors away from the network, the environment
 * and the file system: the builtins in {@link #LEFT_OUT} are refused in every module before it
 * reaches the supervised OPA, at the file:line:column OPA reports, unless the operator allowed them
 * by name ({@code serve --opa-allow-builtin}).
 *
 * <p><b>Why a check before the upload.</b> {@code opa run --server} takes no {@code --capabilities}
 * and compiles what {@code PUT /v1/policies} sends with every builtin. So each new version's
 * modules are first compiled by the same binary, {@code opa check --capabilities FILE}, where the
 * left-out builtins are undefined functions. The capabilities file is made at start from {@code opa
 * capabilities --current} minus those builtins, rather than shipped: it then matches the installed
 * OPA whatever its version, and a builtin that a newer OPA adds is not refused by mistake.
 *
 * <p>Not thread-safe; {@link RegoEngine} calls it under its own lock. Close it to delete its files.
 */
final class OpaCapabilities implements AutoCloseable {
  /**
   * The builtins that reach outside OPA (from OPA's builtin reference): {@code http.send} (the
   * network, and files and environment variables through its TLS options), {@code
   * net.lookup_ip_addr} (DNS), {@code opa.runtime} (environment variables, OPA's config), {@code
   * json.match_schema} and {@code json.verify_schema} (fetch a schema's remote {@code $ref}).
   */
  static final Set<String> LEFT_OUT =
      Set.of(
          "http.send",
          "net.lookup_ip_addr",
          "opa.runtime",
          "json.match_schema",
          "json.verify_schema");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern UNDEFINED = Pattern.compile("undefined function ([\\w.]+)");
  private static final long TIMEOUT_SECONDS = 30;

  private final Path binary;
  private final Path dir;
  private final Path file;
  private final Set<String> leftOut;
  private int checks;

  private OpaCapabilities(Path binary, Path dir, Path file, Set<String> leftOut) {
    this.binary = binary;
    this.dir = dir;
    this.file = file;
    this.leftOut = leftOut;
  }

  /**
   * Writes the capabilities of {@code binary} without {@link #LEFT_OUT}, but {@code allowed}, into
   * a new private temporary directory.
   *
   * @throws IOException if {@code opa capabilities --current} fails or prints no builtins
   */
  static OpaCapabilities create(Path binary, Set<String> allowed) throws IOException {
    Path dir = Files.createTempDirectory("tollgate-opa-capabilities");
    try {
      JsonNode all = JSON.readTree(run(binary, dir, "capabilities", "--current"));
      if (!(all.get("builtins") instanceof ArrayNode builtins)) {
        throw new IOException("opa capabilities --current printed no builtins");
      }
      Set<String> leftOut = new TreeSet<>();
      for (Iterator<JsonNode> it = builtins.elements(); it.hasNext(); ) {
        String name = it.next().path("name").asText();
        if (LEFT_OUT.contains(name) && !allowed.contains(name)) {
          leftOut.add(name);
          it.remove();
        }
      }
      Path file = dir.resolve("capabilities.json");
      Files.writeString(file, JSON.writeValueAsString((ObjectNode) all));
      return new OpaCapabilities(binary, dir, file, Set.copyOf(leftOut));
    } catch (IOException | RuntimeException e) {
      delete(dir);
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
  }

  /** The builtins this OPA has and policies may not use. */
  Set<String> leftOut() {
    return leftOut;
  }

  /**
   * The uses of left-out builtins in {@code sources} (file relative to the policy directory, to its
   * text), located as written. Other compile errors are not reported here: OPA reports them when
   * the modules are uploaded.
   *
   * @throws IOException if {@code opa check} cannot be run or its answer read
   */
  List<ConfigError> refusals(Map<String, String> sources) throws IOException {
    if (leftOut.isEmpty()) {
      return List.of();
    }
    Path work = dir.resolve("check-" + checks++);
    try {
      for (Map.Entry<String, String> e : sources.entrySet()) {
        Path f = work.resolve(e.getKey()).normalize();
        if (!f.startsWith(work)) {
          throw new IOException("module path leaves the policy directory: " + e.getKey());
        }
        Files.createDirectories(f.getParent());
        Files.writeString(f, e.getValue());
      }
      String out =
          run(binary, work, "check", "--format", "json", "--capabilities", file.toString(), ".");
      return located(out, sources);
    } finally {
      delete(work);
    }
  }

  /** The refusals in {@code opa check --format json}'s output. */
  private List<ConfigError> located(String out, Map<String, String> sources) throws IOException {
    List<ConfigError> refused = new ArrayList<>();
    int start = out.indexOf('{');
    if (start < 0) {
      return refused; // no errors
    }
    for (JsonNode e : JSON.readTree(out.substring(start)).path("errors")) {
      Matcher m = UNDEFINED.matcher(e.path("message").asText());
      if (!m.find() || !leftOut.contains(m.group(1))) {
        continue;
      }
      JsonNode loc = e.path("location");
      String f = loc.path("file").asText();
      f = f.startsWith("./") ? f.substring(2) : f;
      refused.add(
          new ConfigError(
              sources.containsKey(f) ? f : sources.keySet().iterator().next(),
              loc.path("row").asInt(),
              loc.path("col").asInt(),
              "Rego: "
                  + m.group(1)
                  + " is not allowed: policies may not reach the network, the environment or the"
                  + " file system (the operator can allow it with --opa-allow-builtin "
                  + m.group(1)
                  + ")"));
    }
    refused.sort(Comparator.comparing(ConfigError::file).thenComparingInt(ConfigError::line));
    return refused;
  }

  /** Runs {@code opa args...} in {@code cwd}, its output (stdout and stderr together). */
  private static String run(Path binary, Path cwd, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(List.of(args));
    // Output to a file, so that a hung opa cannot hold this thread past the timeout on a read.
    Path output = Files.createTempFile(cwd.getParent(), "opa-", ".out");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(cwd.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    pb.environment().clear();
    Process p = pb.start();
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("opa " + args[0] + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for opa " + args[0], e);
    }
    String text = Files.readString(output, StandardCharsets.UTF_8);
    Files.delete(output);
    if (p.exitValue() != 0 && !text.contains("\"errors\"")) {
      throw new IOException("opa " + args[0] + " failed (exit " + p.exitValue() + "): " + text);
    }
    return text;
  }

  private static void delete(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(OpaCapabilities::deleteOne);
    } catch (IOException | UncheckedIOException e) {
      // a temporary directory left behind; nothing depends on it
    }
  }

  private static void deleteOne(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    delete(dir);
  }
}
