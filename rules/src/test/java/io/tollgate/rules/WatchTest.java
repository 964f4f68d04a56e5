package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WatchTest {
  @TempDir Path tmp;

  private static String policy(String file) {
    return "kind: Handler\nname: h\nadapter: fixed\nparams: {file: "
        + file
        + "}\n---\n"
        + "kind: Instance\nname: user\ntemplate: listentry\nparams: {value: 'request.headers[\"x-user\"]'}\n---\n"
        + "kind: Rule\nname: r\nactions: [{handler: h, instances: [user]}]\n";
  }

  @Test
  void editsToPolicyAndToFilesHandlersReadAreReloadedAndBadOnesAreNot() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp.resolve("policy"))
            .write("lists/user.txt", "bob")
            .write("p.yaml", policy("lists/user.txt"));
    List<ReloadResult> reloads = new CopyOnWriteArrayList<>();
    try (PolicyRuntime rt = d.start()) {
      rt.onReload(reloads::add);
      rt.watch(Duration.ofMillis(20));
      var bob = request("request.headers", PolicyDir.headers("x-user", "bob"));
      var eve = request("request.headers", PolicyDir.headers("x-user", "eve"));
      assertThat(rt.check(bob).allowed()).isTrue();

      d.write("lists/user.txt", "eve");
      await().atMost(Duration.ofSeconds(10)).until(() -> rt.check(eve).allowed());
      assertThat(rt.check(bob).allowed()).isFalse();

      d.write("p.yaml", "kind: Rule\nname: [");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> reloads.stream().anyMatch(r -> !r.swapped()));
      assertThat(rt.status().lastErrors()).isNotEmpty();
      assertThat(rt.check(eve).allowed()).isTrue();
      int attempts = reloads.size();

      // A failed input is not compiled again and again while it stays the same.
      await()
          .during(Duration.ofMillis(200))
          .atMost(Duration.ofSeconds(2))
          .until(() -> reloads.size() == attempts);

      d.delete("p.yaml")
          .write("q.yaml", policy("lists/user.txt").replace("name: r\n", "name: r2\n"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> rt.snapshot().ruleNames().equals(List.of("r2")));
      assertThat(rt.status().lastErrors()).isEmpty();
    }
  }
}
