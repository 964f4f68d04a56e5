package io.tollgate.rules;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tollgate.testing.InputTimeout;
import java.io.IOException;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes DRL loading: one {@code rules.drl} (its packages then run as the global DRL rule), checked
 * by the DRL sandbox and compiled by Drools as the server does, then one request decided. It loads,
 * or it is refused with located problems ({@link FuzzedPolicy}); a rule that escapes the sandbox is
 * not this target's to see (the sandbox tests are), but a crash or a hang of the checker or of the
 * compiler is.
 *
 * <p>The corpus ({@code DrlFuzzTestInputs/load}) holds the bundled and benchmark DRL files and the
 * rules of the Drools and sandbox tests.
 */
@ExtendWith(InputTimeout.class)
class DrlFuzzTest {
  private static final FuzzedPolicy POLICY = new FuzzedPolicy("rules.drl");

  @FuzzTest(maxDuration = "30s")
  void load(byte[] input) throws IOException {
    POLICY.load(input);
  }
}
