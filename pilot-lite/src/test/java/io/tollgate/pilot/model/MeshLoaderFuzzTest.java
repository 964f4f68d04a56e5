package io.tollgate.pilot.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tollgate.common.config.ConfigError;
import io.tollgate.pilot.xds.PolicyWiring;
import io.tollgate.pilot.xds.SidecarPorts;
import io.tollgate.pilot.xds.Sidecars;
import io.tollgate.pilot.xds.Translator;
import io.tollgate.testing.InputTimeout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes mesh loading: one mesh file (ServiceEntry, VirtualService and DestinationRule documents)
 * read, bound and validated by {@link MeshLoader} as pilot-lite reads its directory, and a mesh
 * that loads translated to xDS, mesh-wide and for the sidecar of every host, since a mesh that
 * loads must be servable. The documented bad input is {@link MeshException}: every problem must
 * name the file and a line that exists. Any other exception is a finding.
 *
 * <p>The corpus ({@code MeshLoaderFuzzTestInputs/load}) holds the meshes of the loader, routing and
 * kube tests.
 */
@ExtendWith(InputTimeout.class)
class MeshLoaderFuzzTest {
  private static final String FILE = "mesh.yaml";
  private static final PolicyWiring WIRING =
      PolicyWiring.of("policy.tollgate:9091", false, Duration.ofMillis(250), "mesh");

  @FuzzTest(maxDuration = "30s")
  void load(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    MeshFiles.File file =
        new MeshFiles.File(new MeshFiles.Stamp(FILE, input.length, 0, "fuzz"), text, null);
    Mesh mesh;
    try {
      mesh = MeshLoader.load(List.of(file));
    } catch (MeshException e) {
      assertThat(e.problems()).as("a refused mesh says why").isNotEmpty();
      // YAML's line breaks: \r\n, \r, \n, NEL, LS and PS.
      int lines = text.split("\r\n|[\r\n\u0085\u2028\u2029]", -1).length;
      for (ConfigError p : e.problems()) {
        assertThat(p.file()).as(p.toString()).isEqualTo(FILE);
        assertThat(p.line()).as("line of " + p).isBetween(0, lines + 1);
        assertThat(p.message()).as(p.toString()).isNotBlank();
      }
      return;
    }
    Translator.Resources shared = Translator.translate(mesh, WIRING);
    for (String host : mesh.hosts().keySet()) {
      Sidecars.forWorkload(mesh, shared, host, SidecarPorts.DEFAULT, WIRING);
    }
  }
}
