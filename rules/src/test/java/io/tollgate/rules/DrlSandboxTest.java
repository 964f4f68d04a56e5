package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.drools.DrlRuleBase;
import io.tollgate.rules.drools.DrlSandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** DRL may not reach the file system, the network, processes, reflection or the JVM's lifecycle. */
class DrlSandboxTest {
  @TempDir Path tmp;

  /**
   * A DRL file: {@code top} is line 4 (an import, function or declare), {@code when} line 7 and
   * {@code then} line 10.
   */
  private static String drl(String top, String when, String then) {
    return """
        package t.sandbox
        import io.tollgate.rules.drools.Request
        import io.tollgate.rules.drools.Decision
        %s
        rule "r"
        when
          %s
          $d : Decision()
        then
          %s
        end
        """
        .formatted(top, when, then);
  }

  private static Arguments then(String route, String code, String refused) {
    return Arguments.of(route, drl("", "Request()", code), 10, refused);
  }

  static Stream<Arguments> escapes() {
    return Stream.of(
        // The file system: read.
        then("new java.io.File", "new java.io.File(\"/etc/passwd\").exists();", "`java.io.File`"),
        then(
            "Files.readString",
            "$d.deny(403, java.nio.file.Files.readString(java.nio.file.Path.of(\"/etc/passwd\")));",
            "`java.nio.file.Files`"),
        then(
            "new FileInputStream",
            "new java.io.FileInputStream(\"/etc/passwd\");",
            "`java.io.FileInputStream`"),
        // The file system: write.
        then(
            "Files.writeString",
            "java.nio.file.Files.writeString(java.nio.file.Path.of(\"/tmp/x\"), \"x\");",
            "`java.nio.file.Files`"),
        then("new FileWriter", "new java.io.FileWriter(\"/tmp/x\");", "`java.io.FileWriter`"),
        // The network.
        then("new Socket", "new java.net.Socket(\"example.com\", 80);", "`java.net.Socket`"),
        then(
            "URL.openStream",
            "new java.net.URL(\"http://example.com\").openStream();",
            "`java.net.URL`"),
        then(
            "HttpClient",
            "java.net.http.HttpClient.newHttpClient();",
            "`java.net.http.HttpClient`"),
        // Processes.
        then("Runtime.exec", "Runtime.getRuntime().exec(\"id\");", "`java.lang.Runtime`"),
        then("ProcessBuilder", "new ProcessBuilder(\"id\").start();", "`java.lang.ProcessBuilder`"),
        // Reflection.
        then("Class.forName", "Class.forName(\"java.lang.Runtime\");", "`java.lang.Class`"),
        then("getClass().getMethod", "$d.getClass().getMethod(\"deny\");", "`.getClass(...)`"),
        then(
            ".class.getDeclaredField",
            "String.class.getDeclaredField(\"value\");",
            "`String.class (class literals lead to reflection)`"),
        then(
            "java.lang.reflect",
            "java.lang.reflect.Method m = null;",
            "`java.lang.reflect.Method`"),
        then(
            "MethodHandles.lookup",
            "java.lang.invoke.MethodHandles.lookup();",
            "`java.lang.invoke.MethodHandles`"),
        then(
            "Enum.getDeclaringClass",
            "java.time.DayOfWeek.MONDAY.getDeclaringClass();",
            "`.getDeclaringClass(...)`"),
        // The JVM's lifecycle.
        then("System.exit", "System.exit(1);", "`java.lang.System`"),
        then("Runtime.halt", "Runtime.getRuntime().halt(1);", "`java.lang.Runtime`"),
        then("new Thread", "new Thread(() -> {}).start();", "`java.lang.Thread`"),
        then(
            "Locale.setDefault",
            "java.util.Locale.setDefault(java.util.Locale.ROOT);",
            "`java.util.Locale.setDefault(...)`"),
        // The environment.
        then("System.getenv", "$d.deny(403, System.getenv(\"HOME\"));", "`java.lang.System`"),
        then(
            "System.getProperty",
            "$d.deny(403, System.getProperty(\"user.home\"));",
            "`java.lang.System`"),
        then(
            "System.setProperty",
            "System.setProperty(\"user.home\", \"/\");",
            "`java.lang.System`"),
        then(
            "Integer.getInteger",
            "$d.deny(403, \"\" + Integer.getInteger(\"x\"));",
            "`java.lang.Integer.getInteger(...)`"),
        // Names that hide or smuggle a type.
        then(
            "a local named like a type, out of scope",
            "{ String System = \"\"; } System.exit(0);",
            "`java.lang.System`"),
        then("a class", "class X {}", "may not declare classes"),
        then("an anonymous class", "new Object() {};", "may not declare classes"),
        then("synchronized", "synchronized (\"x\") { }", "`synchronized`"),
        // Drools' own handles on the session.
        then(
            "drools.getKieRuntime",
            "drools.getKieRuntime().getKieBase();",
            "`drools.getKieRuntime(...)`"),
        then(
            "kcontext.getKieRuntime",
            "kcontext.getKieRuntime().halt();",
            "`kcontext.getKieRuntime(...)`"),
        then("drools as a value", "Object o = drools;", "`drools as a value`"),
        then(
            "a method reference",
            "java.util.function.Supplier<Object> s = drools::getKieRuntime;",
            "`drools::getKieRuntime`"),
        then(
            "code after a Unicode-escaped newline in a comment",
            "// \\u000a System.exit(0);",
            "`java.lang.System`"),
        then("entry points", "entryPoints[\"x\"].insert(1);", "`entryPoints`"),
        then("a fact handle", "Object h = insert(1);", "may only be used as a statement"),
        // Imports and declarations (line 4).
        Arguments.of(
            "import of a forbidden class",
            drl("import java.io.File", "Request()", "new File(\"/\");"),
            4,
            "`java.io.File` is not allowed in DRL"),
        Arguments.of(
            "star import of java.io", drl("import java.io.*", "Request()", ""), 4, "`java.io.*`"),
        Arguments.of(
            "a star import's forbidden class",
            drl("import java.util.*", "Request()", "new Scanner(\"x\");"),
            10,
            "`java.util.Scanner`"),
        Arguments.of(
            "import function",
            drl("import function java.lang.System.exit", "Request()", "exit(0);"),
            4,
            "`import function java.lang.System.exit`"),
        Arguments.of(
            "a function",
            drl(
                "function String read() { return java.nio.file.Files.readString(null); }",
                "Request()",
                "$d.deny(403, read());"),
            4,
            "function read: `java.nio.file.Files` is not allowed in a function"),
        Arguments.of(
            "a declared type extending Thread",
            drl("declare Evil extends java.lang.Thread end", "Request()", ""),
            4,
            "declare Evil: `java.lang.Thread`"),
        Arguments.of(
            "a declared field of a forbidden type",
            drl("declare Leak f : java.io.File end", "Request()", ""),
            4,
            "declare Leak: `java.io.File`"),
        Arguments.of(
            "a global of a forbidden type",
            drl("global java.io.PrintStream out", "Request()", ""),
            4,
            "`java.io.PrintStream`"),
        Arguments.of(
            "dialect mvel", drl("dialect \"mvel\"", "Request()", ""), 4, "dialect \"mvel\""),
        // Conditions (line 7).
        Arguments.of(
            "eval",
            drl("", "Request() eval(System.getenv(\"HOME\") != null)", ""),
            7,
            "`java.lang.System`"),
        Arguments.of(
            "a constraint",
            drl("", "Request(path == java.lang.System.getProperty(\"user.home\"))", ""),
            7,
            "`java.lang.System`"),
        Arguments.of(
            "from",
            drl("", "$s : String() from System.getenv().keySet()", ""),
            7,
            "`java.lang.System`"),
        Arguments.of(
            "new in a constraint",
            drl("", "Request(path == new java.io.File(\"/\").getName())", ""),
            7,
            "`java.io.File`"),
        Arguments.of(
            "class through a property",
            drl("", "Request(this.class.name != \"\")", ""),
            7,
            "`.class`"),
        Arguments.of(
            "a binding named like a type",
            drl("", "System : Request()", ""),
            5,
            "the binding `System` has the name of a type"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("escapes")
  void eachEscapeIsRefusedAtItsLine(String route, String text, int line, String refused) {
    List<ConfigError> errors = DrlSandbox.check(Map.of("evil.drl", text));
    assertThat(errors)
        .as(route + ": " + errors)
        .anySatisfy(
            e -> {
              assertThat(e.file()).isEqualTo("evil.drl");
              assertThat(e.line()).isEqualTo(line);
              assertThat(e.column()).isPositive();
              assertThat(e.message()).contains(refused);
            });
  }

  @Test
  void theRefusalSaysWhereWhatAndWhatIsAllowed() {
    List<ConfigError> errors =
        DrlSandbox.check(
            Map.of("evil.drl", drl("", "Request()", "new java.io.File(\"/etc/passwd\");")));
    assertThat(errors).hasSize(1);
    assertThat(errors.get(0).toString())
        .startsWith(
            "evil.drl:10:7: rule \"r\": `java.io.File` is not allowed in a rule (DRL may use: the"
                + " fact types Request and Decision, types the DRL declares, String,")
        .contains("java.util collections", "java.time");
  }

  @Test
  void aRefusedFileIsNotCompiledAndNothingOfItRuns() {
    List<ConfigError> errors = new ArrayList<>();
    DrlRuleBase base =
        DrlRuleBase.compile(
            Map.of(
                "evil.drl",
                drl("", "Request()", "System.exit(3);"),
                "good.drl",
                drl("", "Request()", "").replace("t.sandbox", "t.good")),
            errors);
    assertThat(base).isNull();
    assertThat(errors).singleElement().satisfies(e -> assertThat(e.file()).isEqualTo("evil.drl"));
  }

  private static final String GOOD =
      """
      package t.ok
      import io.tollgate.rules.drools.Request
      import io.tollgate.rules.drools.Decision
      import java.util.List
      import java.util.ArrayList
      import java.util.Map
      import java.util.TreeMap
      import java.time.Duration
      import java.time.LocalTime

      function boolean adminPath(String p) {
        return p.toLowerCase().startsWith("/admin");
      }

      rule "tag" no-loop
      when
        $r : Request(path != "", header("x-user") != "", $p : path, this.path.length() < 100)
        $d : Decision()
      then
        List<String> parts = new ArrayList<>();
        for (String s : $r.getPath().split("/")) {
          if (!s.isBlank()) {
            parts.add(s.toUpperCase());
          }
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (String s : parts) {
          counts.merge(s, 1, Integer::sum);
        }
        String user = $r.header("x-user").strip();
        Duration d = Duration.ofMinutes(90);
        $d.setRequestHeader("x-parts", String.join(",", parts) + ";" + counts.size());
        $d.setRequestHeader("x-until", LocalTime.of(9, 0).plus(d).toString());
        $d.setRequestHeader("x-rule", drools.getRule().getName());
        if (adminPath($p) && !user.equals("root")) {
          $d.deny(403, "admins only: " + user);
        }
        modify($d) { addResponseHeader("x-checked", "yes") }
      end
      """;

  @Test
  void stringsCollectionsAndTimeStillWork() throws Exception {
    try (PolicyRuntime rt = new PolicyDir(tmp).write("ok.drl", GOOD).start()) {
      PolicyDecision d =
          rt.check(
              request(
                  "request.path",
                  "/admin/a/b",
                  "request.headers",
                  PolicyDir.headers("x-user", " alice ")));
      assertThat(d.allowed()).isFalse();
      assertThat(d.message()).isEqualTo("admins only: alice");
      assertThat(d.responseHeaders()).extracting(h -> h.name()).containsExactly("x-checked");
      PolicyDecision ok =
          rt.check(
              request("request.path", "/x/y", "request.headers", PolicyDir.headers("x-user", "a")));
      assertThat(ok.allowed()).isTrue();
      assertThat(ok.requestHeaders())
          .extracting(h -> h.name() + "=" + h.value())
          .containsExactly("x-parts=X,Y;2", "x-until=10:30", "x-rule=tag");
    }
  }

  @Test
  void aRefusedReloadKeepsTheLastGoodVersionServing() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write("a.drl", drl("", "Request(path == \"/admin\")", "$d.deny(403, \"no admin\");"));
    try (PolicyRuntime rt = d.start()) {
      long version = rt.snapshot().version();
      d.write("a.drl", drl("", "Request()", "System.exit(1);"));
      ReloadResult r = rt.reload();
      assertThat(r.swapped()).isFalse();
      assertThat(r.errors())
          .singleElement()
          .satisfies(
              e ->
                  assertThat(e.toString())
                      .startsWith("a.drl:10:3: rule \"r\": `java.lang.System`"));
      assertThat(rt.snapshot().version()).isEqualTo(version);
      assertThat(rt.check(request("request.path", "/admin")).message()).isEqualTo("no admin");
      assertThat(rt.check(request("request.path", "/other")).allowed()).isTrue();
    }
  }

  @Test
  void everyDrlInTheRepositoryStillLoads() throws IOException {
    Map<String, String> files = new TreeMap<>();
    Path root = Path.of("").toAbsolutePath().getParent();
    try (Stream<Path> all = Files.walk(root)) {
      all.filter(p -> p.toString().endsWith(".drl"))
          .filter(p -> !root.relativize(p).toString().matches("(.*/)?(target|\\.git)/.*"))
          // fuzz corpora hold refused DRL on purpose
          .filter(p -> !p.toString().contains("FuzzTestInputs"))
          .forEach(p -> files.put(root.relativize(p).toString(), read(p)));
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(5);
    for (Map.Entry<String, String> f : files.entrySet()) {
      List<ConfigError> errors = new ArrayList<>();
      assertThat(DrlRuleBase.compile(Map.of(f.getKey(), f.getValue()), errors))
          .as(f.getKey() + ": " + errors)
          .isNotNull();
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
