package io.tollgate.rules;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tollgate.testing.InputTimeout;
import java.io.IOException;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes policy loading from YAML: one {@code policy.yaml} (handlers, instances and rules whose
 * {@code match} is CEL) compiled as the server compiles a policy directory, then one request
 * decided. A policy directory is configuration that other teams edit, so no text may take the
 * loader down: it loads, or it is refused with located problems ({@link FuzzedPolicy}).
 *
 * <p>The corpus ({@code PolicyYamlFuzzTestInputs/load}) holds the bundled bookinfo example as one
 * file, benchmark policies, and the policies of the bad-policy tests.
 */
@ExtendWith(InputTimeout.class)
class PolicyYamlFuzzTest {
  private static final FuzzedPolicy POLICY = new FuzzedPolicy("policy.yaml");

  @FuzzTest(maxDuration = "30s")
  void load(byte[] input) throws IOException {
    POLICY.load(input);
  }
}
