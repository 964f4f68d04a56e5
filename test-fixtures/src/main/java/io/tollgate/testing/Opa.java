package io.tollgate.testing;

import java.nio.file.Path;

/**
 * {@code Opa} finds the real OPA binary the Rego tests run ({@code go install} puts it in
 * ~/go/bin).
 */
public final class Opa {
  private Opa() {}

  public static Path binary() {
    return Peers.require(
        "opa",
        "go install github.com/open-policy-agent/opa@v1.22.2 (or scripts/install-test-peers)",
        "opa",
        Path.of(System.getProperty("user.home"), "go", "bin", "opa").toString());
  }
}
