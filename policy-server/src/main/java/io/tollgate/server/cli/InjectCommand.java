package io.tollgate.server.cli;

import io.tollgate.pilot.kube.Injector;
import io.tollgate.pilot.kube.Manifests;
import io.tollgate.pilot.xds.SidecarPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tollgate inject}: adds the Tollgate sidecar to every pod template of a manifest, like
 * istioctl kube-inject.
 */
@Command(
    name = "inject",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the manifest with the Envoy sidecar (tollgate-proxy), the traffic-redirecting init container",
      "(tollgate-init) and the bootstrap volume (ConfigMap tollgate-bootstrap) added to every pod template.",
      "Idempotent; other kinds pass through unchanged; annotate a pod sidecar.tollgate.io/inject: \"false\" to skip it.",
      "The sidecar's ports go to the redirect and to the node metadata pilot-lite builds its listeners from."
    })
final class InjectCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "FILE",
      description = "The manifest (multi-document YAML).")
  Path file;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write here instead of standard output.")
  Path output;

  @CommandLine.Mixin SidecarOptions sidecar;

  @Override
  public Integer call() {
    SidecarPorts ports;
    try {
      ports = sidecar.ports();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("tollgate inject: " + e.getMessage());
      return 2;
    }
    try {
      String yaml =
          Manifests.writeDocs(Injector.injectDocs(Manifests.read(file), sidecar.images(), ports));
      if (output != null) {
        Files.writeString(output, yaml);
      } else {
        spec.commandLine().getOut().print(yaml);
        spec.commandLine().getOut().flush();
      }
      return 0;
    } catch (java.nio.file.NoSuchFileException e) {
      spec.commandLine().getErr().println("tollgate inject: no such file: " + e.getFile());
      return 2;
    } catch (IOException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("tollgate inject: " + e.getMessage());
      return 1;
    }
  }
}
