package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.tollgate.common.config.ConfigError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Symbolic links in a policy directory: followed inside it, refused when they lead out. */
class SymlinkTest {
  @TempDir Path tmp;

  private static String denier(String rule, String message) {
    return "kind: Handler\nname: h\nadapter: fixed\nparams: {allow: false, message: "
        + message
        + "}\n---\n"
        + "kind: Rule\nname: "
        + rule
        + "\nactions: [{handler: h}]\n";
  }

  private static RuntimeOptions options(Path dir) {
    return RuntimeOptions.of(dir, null).withSettle(Duration.ofMillis(50));
  }

  /**
   * Writes {@code files} as kubelet's atomic writer updates a ConfigMap volume: into a new hidden
   * timestamped directory, then a {@code ..data} link renamed over the old one, then a visible link
   * {@code name -> ..data/name} per key, then the old directory removed.
   */
  private static void kubeletWrites(Path dir, int generation, Map<String, String> files)
      throws IOException {
    Files.createDirectories(dir);
    Path old =
        Files.isSymbolicLink(dir.resolve("..data"))
            ? dir.resolve(Files.readSymbolicLink(dir.resolve("..data")))
            : null;
    Path ts = dir.resolve("..2026_03_01_12_00_0" + generation + ".12345678" + generation);
    Files.createDirectory(ts);
    for (Map.Entry<String, String> f : files.entrySet()) {
      Files.writeString(ts.resolve(f.getKey()), f.getValue());
    }
    Path tmpLink = dir.resolve("..data_tmp");
    Files.createSymbolicLink(tmpLink, ts.getFileName());
    Files.move(tmpLink, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
    for (String name : files.keySet()) {
      Path visible = dir.resolve(name);
      if (!Files.isSymbolicLink(visible)) {
        Files.createSymbolicLink(visible, Path.of("..data").resolve(name));
      }
    }
    if (old != null) {
      try (Stream<Path> s = Files.walk(old)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @Test
  void aConfigMapUpdateSwappingTheDataLinkServesTheNewVersionAndReadsEachFileOnce()
      throws Exception {
    Path dir = tmp.resolve("policy");
    kubeletWrites(dir, 1, Map.of("rules.yaml", denier("one", "first")));
    List<ReloadResult> reloads = new CopyOnWriteArrayList<>();
    try (PolicyRuntime rt = PolicyRuntime.start(options(dir))) {
      assertThat(rt.status().files()).containsExactly("rules.yaml");
      assertThat(rt.check(request()).rule()).isEqualTo("one");
      rt.onReload(reloads::add);
      rt.watch(Duration.ofMillis(20));

      // Same size, so only the link's new target tells the versions apart.
      kubeletWrites(dir, 2, Map.of("rules.yaml", denier("two", "again")));
      await().atMost(Duration.ofSeconds(10)).until(() -> "two".equals(rt.check(request()).rule()));
      assertThat(rt.status().files()).containsExactly("rules.yaml");
      assertThat(rt.status().lastErrors()).isEmpty();
      assertThat(reloads).allMatch(ReloadResult::swapped);
    }
  }

  @Test
  void aLinkLeadingOutsideIsRefusedByNameAndTheLastGoodVersionKeepsServing() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("policy"));
    Files.writeString(dir.resolve("good.yaml"), denier("good", "no"));
    Path secret =
        Files.writeString(
            Files.createDirectories(tmp.resolve("etc")).resolve("shadow"),
            "root:$6$not-yaml-at-all: [\n");
    List<ReloadResult> reloads = new CopyOnWriteArrayList<>();
    try (PolicyRuntime rt = PolicyRuntime.start(options(dir))) {
      rt.onReload(reloads::add);
      rt.watch(Duration.ofMillis(20));

      Files.createSymbolicLink(dir.resolve("stolen.yaml"), Path.of("..", "etc", "shadow"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> reloads.stream().anyMatch(r -> !r.swapped()));
      List<ConfigError> errors = rt.status().lastErrors();
      assertThat(errors)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.file()).isEqualTo("stolen.yaml");
                assertThat(e.message())
                    .contains(
                        "leads outside the policy directory (to " + secret.toRealPath() + ")");
              });
      assertThat(errors.toString()).doesNotContain("not-yaml-at-all");
      assertThat(rt.status().version()).isEqualTo(1);
      assertThat(rt.check(request()).rule()).isEqualTo("good");

      // Removing the link is a change like any other: the policy serves again.
      Files.delete(dir.resolve("stolen.yaml"));
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.status().lastErrors().isEmpty());
      assertThat(rt.status().version()).isEqualTo(2);
    }
  }

  @Test
  void aLinkedDirectoryOutsideIsRefusedWithoutReadingIt() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("policy"));
    Files.writeString(dir.resolve("good.yaml"), denier("good", "no"));
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.writeString(elsewhere.resolve("more.yaml"), "kind: Rule\nname: [\n");
    Files.createSymbolicLink(dir.resolve("more"), elsewhere);
    PolicyLoadException e =
        catchThrowableOfType(PolicyLoadException.class, () -> PolicyRuntime.start(options(dir)));
    assertThat(e.errors())
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.file()).isEqualTo("more");
              assertThat(c.message()).contains("leads outside the policy directory");
            });
  }

  @Test
  void aFileAHandlerNamesOutsideTheDirectoryIsRefusedWhetherByPathOrByLink() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("user.txt"), "bob");
    Path dir = Files.createDirectories(tmp.resolve("policy"));
    String policy =
        "kind: Handler\nname: h\nadapter: fixed\nparams: {file: %s}\n---\n"
            + "kind: Instance\nname: user\ntemplate: listentry\nparams: {value: 'request.headers[\"x-user\"]'}\n---\n"
            + "kind: Rule\nname: r\nactions: [{handler: h, instances: [user]}]\n";

    Files.writeString(dir.resolve("p.yaml"), policy.formatted("../outside/user.txt"));
    PolicyLoadException byPath =
        catchThrowableOfType(PolicyLoadException.class, () -> PolicyRuntime.start(options(dir)));
    assertThat(byPath.errors())
        .first()
        .satisfies(
            c -> {
              assertThat(c.file()).isEqualTo("p.yaml");
              assertThat(c.line()).isEqualTo(4);
              assertThat(c.message())
                  .startsWith(
                      "handler 'h' (adapter fixed): file '"
                          + outside.resolve("user.txt")
                          + "' leads outside");
            });

    Files.createDirectories(dir.resolve("lists"));
    Files.createSymbolicLink(dir.resolve("lists/user.txt"), outside.resolve("user.txt"));
    Files.writeString(dir.resolve("p.yaml"), policy.formatted("lists/user.txt"));
    PolicyLoadException byLink =
        catchThrowableOfType(PolicyLoadException.class, () -> PolicyRuntime.start(options(dir)));
    assertThat(byLink.errors())
        .extracting(ConfigError::toString)
        .anySatisfy(
            s ->
                assertThat(s)
                    .startsWith("p.yaml:4:")
                    .contains("handler 'h' (adapter fixed): file 'lists/user.txt' leads outside"));
    assertThat(byLink.errors()).extracting(ConfigError::file).contains("lists/user.txt");
  }

  @Test
  void linksInsideTheDirectoryAreFollowedAndLoopsAreRefused() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("policy"));
    Files.createDirectories(dir.resolve("src"));
    Files.writeString(dir.resolve("src/real.txt"), denier("linked", "no"));
    Files.createSymbolicLink(dir.resolve("linked.yaml"), Path.of("src/real.txt"));
    try (PolicyRuntime rt = PolicyRuntime.start(options(dir))) {
      assertThat(rt.check(request()).rule()).isEqualTo("linked");
      assertThat(rt.status().files()).containsExactly("linked.yaml");
    }

    Files.delete(dir.resolve("linked.yaml"));
    Files.createSymbolicLink(dir.resolve("a.yaml"), Path.of("b.yaml"));
    Files.createSymbolicLink(dir.resolve("b.yaml"), Path.of("a.yaml"));
    Files.createSymbolicLink(dir.resolve("src/up"), Path.of(".."));
    PolicyLoadException e =
        catchThrowableOfType(PolicyLoadException.class, () -> PolicyRuntime.start(options(dir)));
    assertThat(e.errors())
        .extracting(ConfigError::toString)
        .containsExactlyInAnyOrder(
            "a.yaml: a symbolic link loop: following it never reaches a file; remove the link",
            "b.yaml: a symbolic link loop: following it never reaches a file; remove the link",
            "src/up: a symbolic link loop: this directory leads back to one that contains it; remove the link");
  }
}
