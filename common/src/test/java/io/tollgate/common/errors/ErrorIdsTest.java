package io.tollgate.common.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ErrorIdsTest {
  @Test
  void idsAreEightHexDigitsAndDiffer() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String id = ErrorIds.next();
      assertThat(id).matches(ErrorIds.ID);
      seen.add(id);
    }
    // 1000 draws from 2^32: a collision is possible but rarer than one run in 8,000.
    assertThat(seen).hasSizeGreaterThan(990);
  }

  @Test
  void clientMessageNamesTheIdAndNothingElse() {
    assertThat(ErrorIds.clientMessage("0badc0de"))
        .isEqualTo("internal error (id 0badc0de); the server log has the details");
  }
}
