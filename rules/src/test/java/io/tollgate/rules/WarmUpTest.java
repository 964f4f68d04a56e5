package io.tollgate.rules;

import static io.tollgate.rules.PolicyDir.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compile all, warm up, swap: what a warmer sees, and that warm-up requests are counted nowhere.
 */
class WarmUpTest {
  @TempDir Path tmp;

  static final String DENY =
      "kind: Handler\nname: no\nadapter: fixed\nparams: {allow: false}\n---\n";

  static String rule(String name, String match) {
    return "kind: Rule\nname: "
        + name
        + "\nmatch: '"
        + match
        + "'\nactions: [{handler: no}]\n---\n";
  }

  @Test
  void rulesGiveRequestsThatGetPastTheirSimpleConditions() throws Exception {
    PolicyDir d =
        new PolicyDir(tmp)
            .write(
                "p.yaml",
                DENY
                    + rule(
                        "writes",
                        "destination.service.host == \"ratings\" && request.method in [\"POST\", \"PUT\"]")
                    + rule(
                        "admin",
                        "request.url_path.startsWith(\"/admin\") && source.principal != \"spiffe://td/ns/a/sa/admin\"")
                    + rule("any", "size(request.headers) > 100")
                    + rule("never", "request.method in [] && request.scheme == \"https\""));
    try (PolicyRuntime rt = d.start()) {
      List<Map<String, String>> examples = rt.snapshot().ruleExamples();
      assertThat(examples)
          .containsExactly(
              Map.of("destination.service.host", "ratings", "request.method", "POST"),
              Map.of("destination.service.host", "ratings", "request.method", "PUT"),
              Map.of("request.url_path", "/admin"),
              Map.of("request.scheme", "https"));
      for (Map<String, String> e : examples.subList(0, 3)) {
        Object[] kv =
            e.entrySet().stream()
                .flatMap(x -> java.util.stream.Stream.of(x.getKey(), x.getValue()))
                .toArray();
        assertThat(rt.check(request(kv)).allowed()).as("%s reaches its rule", e).isFalse();
      }
    }
  }

  @Test
  void eachVersionIsWarmedBeforeItServesAndWarmUpRequestsAreNotCounted() throws Exception {
    String erring =
        rule("erring", "request.headers[\"x-missing\"] == \"y\"")
            .replace("kind: Rule\n", "kind: Rule\nmatchFailurePolicy: open\n");
    PolicyDir d =
        new PolicyDir(tmp).write("p.yaml", DENY + erring + rule("v1", "request.path == \"/one\""));
    List<String> seen = new CopyOnWriteArrayList<>();
    try (PolicyRuntime rt = d.start()) {
      rt.warmBeforeServing(
          s -> {
            PolicyDecision one = rt.warmUpCheck(request("request.path", "/one"));
            PolicyDecision two = rt.warmUpCheck(request("request.path", "/two"));
            seen.add(
                "warming "
                    + s.version()
                    + " while "
                    + rt.snapshot().version()
                    + " serves: /one "
                    + (one.allowed() ? "allowed" : "denied")
                    + ", /two "
                    + (two.allowed() ? "allowed" : "denied")
                    + ", decided by "
                    + one.policyVersion());
          });
      assertThat(seen)
          .containsExactly("warming 1 while 1 serves: /one denied, /two allowed, decided by 1");
      assertThat(rt.counters().matchErrors())
          .as("the warm-up's failed conditions are not counted")
          .isEmpty();

      d.write("p.yaml", DENY + erring + rule("v2", "request.path == \"/two\""));
      assertThat(rt.reload().swapped()).isTrue();
      assertThat(seen)
          .last()
          .isEqualTo("warming 2 while 1 serves: /one allowed, /two denied, decided by 2");
      assertThat(rt.snapshot().version()).isEqualTo(2);
      assertThat(rt.counters().matchErrors()).isEmpty();
      assertThat(rt.check(request("request.path", "/two")).allowed()).isFalse();
      assertThat(rt.counters().matchErrors()).as("real requests are").containsEntry("erring", 1L);
    }
  }

  @Test
  void aWarmUpThatFailsDoesNotKeepAVersionFromServing() throws Exception {
    PolicyDir d = new PolicyDir(tmp).write("p.yaml", DENY + rule("v1", "request.path == \"/one\""));
    try (PolicyRuntime rt = d.start()) {
      rt.warmBeforeServing(
          s -> {
            if (s.version() > 1) {
              throw new IllegalStateException("warm-up broke");
            }
          });
      d.write("p.yaml", DENY + rule("v2", "request.path == \"/two\""));
      assertThat(rt.reload().swapped()).isTrue();
      assertThat(rt.snapshot().version()).isEqualTo(2);
      assertThat(rt.check(request("request.path", "/two")).allowed()).isFalse();
    }
  }

  @Test
  void theMarkFollowsACheckOntoThePoolAndOffTheThreadAfterwards() {
    assertThat(WarmUp.active()).isFalse();
    boolean[] inside = new boolean[2];
    WarmUp.call(
        () -> {
          inside[0] = WarmUp.active();
          Runnable carried = WarmUp.carry(() -> inside[1] = WarmUp.active());
          Thread t = new Thread(carried);
          t.start();
          try {
            t.join();
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
          return null;
        });
    assertThat(inside).containsExactly(true, true);
    assertThat(WarmUp.active()).isFalse();
    Runnable plain = WarmUp.carry(() -> inside[1] = WarmUp.active());
    plain.run();
    assertThat(inside[1]).isFalse();
  }
}
