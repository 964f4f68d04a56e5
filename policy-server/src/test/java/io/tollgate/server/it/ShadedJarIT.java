package io.tollgate.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The runnable jar, as the README runs it: {@code tollgate serve} on its embedded defaults (free
 * ports here), then {@code tollgate check} from a second process.
 */
class ShadedJarIT {
  static final Pattern SERVING = Pattern.compile("tollgate serving: grpc 127\\.0\\.0\\.1:(\\d+)");

  static Path jar() {
    Path jar = Path.of(System.getProperty("tollgate.jar", "target/tollgate.jar"));
    assertThat(jar).as("the shaded jar (built by mvn package)").exists();
    return jar;
  }

  static List<String> java(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  record Result(int exit, String out) {}

  static Result run(String... args) throws Exception {
    Process p = new ProcessBuilder(java(args)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  @Test
  void servesTheBundledPolicyAndAnswersTheCheckCommand() throws Exception {
    Process server =
        new ProcessBuilder(
                java("serve", "--grpc-port", "0", "--http-port", "0", "--admin-port", "0"))
            .redirectErrorStream(true)
            .start();
    StringBuilder log = new StringBuilder();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                  synchronized (log) {
                    log.append(line).append('\n');
                  }
                  Matcher m = SERVING.matcher(line);
                  if (m.find()) {
                    port.complete(Integer.parseInt(m.group(1)));
                  }
                }
              } catch (IOException e) {
                port.completeExceptionally(e);
              }
              port.completeExceptionally(new AssertionError("server exited before serving"));
            });
    reader.setDaemon(true);
    reader.start();
    try {
      int grpc = port.get(90, TimeUnit.SECONDS);
      String address = "127.0.0.1:" + grpc;

      Result allow =
          run("check", "--address", address, "--host", "productpage", "--path", "/productpage");
      assertThat(allow.exit()).as(allow.out()).isZero();
      assertThat(allow.out()).contains("ALLOW").contains("x-tollgate-caller: anonymous");

      Result deny =
          run(
              "check",
              "--address",
              address,
              "--host",
              "details",
              "--path",
              "/admin/users",
              "--principal",
              "spiffe://cluster.local/ns/bookinfo/sa/productpage");
      assertThat(deny.exit()).as(deny.out()).isEqualTo(3);
      assertThat(deny.out()).contains("DENY 403 rule admin-only");

      Result drl =
          run(
              "check",
              "--address",
              address,
              "--host",
              "ratings",
              "--method",
              "POST",
              "--path",
              "/ratings/1");
      assertThat(drl.exit()).as(drl.out()).isEqualTo(3);
      assertThat(drl.out()).contains("only the reviews service may write ratings");
    } finally {
      server.destroy();
      server.waitFor(20, TimeUnit.SECONDS);
      synchronized (log) {
        assertThat(log.toString()).as("server log").doesNotContain("Exception");
      }
    }
  }

  @Test
  void validateAndTestFromTheJar() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-jar-");
    io.tollgate.server.BundledPolicy.copyTo(dir);
    Result test = run("test", dir.toString());
    assertThat(test.exit()).as(test.out()).isZero();
    Files.writeString(dir.resolve("broken.drl"), "package x\nrule \"r\" when Foo( then end\n");
    Result validate = run("validate", dir.toString());
    assertThat(validate.exit()).isEqualTo(1);
    assertThat(validate.out()).contains("broken.drl:");
  }

  @Test
  void unreachableServerIsExitOne() throws Exception {
    Result r = run("check", "--address", "127.0.0.1:1", "--timeout", "2s");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("no answer from 127.0.0.1:1");
  }
}
