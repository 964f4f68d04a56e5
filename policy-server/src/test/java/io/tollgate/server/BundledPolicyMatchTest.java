package io.tollgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.MapAttributes;
import io.tollgate.rules.PolicyRuntime;
import io.tollgate.rules.RuntimeOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled example policy is safe whatever the match failure policy: no rule's {@code match}
 * fails to evaluate for requests that leave out what rules read, so fail-closed and fail-open
 * decide them alike.
 */
class BundledPolicyMatchTest {
  @TempDir Path dir;

  private static final List<Attributes> SPARSE =
      List.of(
          MapAttributes.builder().build(),
          MapAttributes.builder().put("request.path", "/admin").build(),
          MapAttributes.builder().put("request.headers", Map.of()).build(),
          MapAttributes.builder()
              .put("destination.service.host", "ratings")
              .put("request.method", "POST")
              .build());

  @Test
  void noMatchOfTheBundledPolicyErrsOnASparseRequest() throws Exception {
    BundledPolicy.copyTo(dir);
    for (boolean closed : new boolean[] {true, false}) {
      try (PolicyRuntime r =
          PolicyRuntime.start(RuntimeOptions.of(dir, null).withFailClosedMatches(closed))) {
        for (Attributes a : SPARSE) {
          r.check(a);
        }
        assertThat(r.counters().matchErrors()).as("closed=%s", closed).isEmpty();
      }
    }
  }
}
