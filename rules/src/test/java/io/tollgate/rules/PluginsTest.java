package io.tollgate.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.fake.PluginOnlyAdapter;
import io.tollgate.rules.fake.ThrowingAdapter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginsTest {
  @TempDir Path tmp;
  Path policy;
  Path plugins;

  private static final String USE_PLUGIN =
      """
      kind: Handler
      name: p
      adapter: plugin-only
      ---
      kind: Rule
      name: r
      actions:
      - handler: p
      """;

  @BeforeEach
  void dirs() throws IOException {
    policy = Files.createDirectories(tmp.resolve("policy"));
    plugins = Files.createDirectories(tmp.resolve("plugins"));
    Files.writeString(policy.resolve("p.yaml"), USE_PLUGIN);
  }

  /** Packs {@code adapter}'s class and a service entry naming it into a jar. */
  static void jar(Path jar, Class<? extends Adapter> adapter) throws IOException {
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry("META-INF/services/" + Adapter.class.getName()));
      j.write((adapter.getName() + "\n").getBytes(StandardCharsets.UTF_8));
      String resource = adapter.getName().replace('.', '/') + ".class";
      j.putNextEntry(new JarEntry(resource));
      try (InputStream in = adapter.getClassLoader().getResourceAsStream(resource)) {
        in.transferTo(j);
      }
    }
  }

  private RuntimeOptions options() {
    return RuntimeOptions.of(policy, plugins);
  }

  @Test
  void pluginAdapterIsUsableFromARuleInItsOwnClassLoader() throws Exception {
    jar(plugins.resolve("good.jar"), PluginOnlyAdapter.class);
    try (PolicyRuntime rt = PolicyRuntime.start(options())) {
      PolicyDecision d = rt.check(PolicyDir.request());
      assertThat(d.allowed()).isTrue();
      assertThat(d.requestHeaders())
          .containsExactly(
              HeaderOp.replace("x-sees-rules", "false"),
              HeaderOp.replace("x-loader", "plugin:good.jar"));
    }
  }

  @Test
  void corruptJarIsReportedAndTheLastGoodVersionKeepsServing() throws Exception {
    jar(plugins.resolve("good.jar"), PluginOnlyAdapter.class);
    try (PolicyRuntime rt = PolicyRuntime.start(options())) {
      Files.write(plugins.resolve("bad.jar"), "this is not a zip".getBytes(StandardCharsets.UTF_8));
      ReloadResult r = rt.reload();
      assertThat(r.swapped()).isFalse();
      assertThat(r.errors())
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.file()).isEqualTo("plugins/bad.jar");
                assertThat(e.message()).contains("not a valid jar");
              });
      assertThat(rt.check(PolicyDir.request()).allowed()).isTrue();
      assertThat(rt.check(PolicyDir.request()).policyVersion()).isEqualTo(1);
    }
  }

  @Test
  void adapterThatThrowsInItsConstructorIsReported() throws Exception {
    jar(plugins.resolve("throws.jar"), ThrowingAdapter.class);
    List<ConfigError> errors = PolicyRuntime.validate(options());
    assertThat(errors)
        .anySatisfy(
            e -> {
              assertThat(e.file()).isEqualTo("plugins/throws.jar");
              assertThat(e.message())
                  .contains("cannot create adapter")
                  .contains("license file missing");
            });
  }

  @Test
  void jarWithoutServiceEntryIsReported() throws Exception {
    try (JarOutputStream j =
        new JarOutputStream(Files.newOutputStream(plugins.resolve("empty.jar")))) {
      j.putNextEntry(new JarEntry("README"));
    }
    assertThat(PolicyRuntime.validate(options()))
        .anySatisfy(
            e ->
                assertThat(e.message())
                    .contains("no META-INF/services/io.tollgate.adapter.spi.Adapter"));
  }

  @Test
  void pluginThatReusesABuiltinNameIsReported() throws Exception {
    jar(plugins.resolve("fixed.jar"), io.tollgate.rules.fake.FixedAdapter.class);
    assertThat(PolicyRuntime.validate(options()))
        .anySatisfy(
            e ->
                assertThat(e.message()).contains("adapter 'fixed' is already provided by builtin"));
  }
}
