package io.tollgate.server.cli;

import io.tollgate.pilot.kube.Analyzer;
import io.tollgate.pilot.kube.Manifests;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tollgate analyze}: the mesh's pod requirements and common mistakes in a set of manifests.
 */
@Command(
    name = "analyze",
    mixinStandardHelpOptions = true,
    description = {
      "Checks Kubernetes and Istio manifests: Service ports named <protocol>[-<suffix>], workloads with app (and",
      "version) labels, one Service per pod, VirtualServices naming known hosts and subsets with weights adding",
      "up to 100. Each finding names file, line, object and the fix. Exit 1 when there are errors."
    })
final class AnalyzeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-f", "--filename"},
      required = true,
      paramLabel = "FILE|DIR",
      description = "A manifest, or a directory of them.")
  Path path;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.exists(path)) {
      spec.commandLine().getErr().println("tollgate analyze: " + path + " does not exist");
      return 2;
    }
    List<Analyzer.Finding> findings;
    try {
      findings = Analyzer.analyze(Manifests.read(path));
    } catch (IOException e) {
      spec.commandLine().getErr().println("tollgate analyze: " + e.getMessage());
      return 1;
    }
    findings.forEach(out::println);
    long errors = findings.stream().filter(f -> f.severity() == Analyzer.Severity.ERROR).count();
    out.printf("%d error(s), %d warning(s)%n", errors, findings.size() - errors);
    return errors > 0 ? 1 : 0;
  }
}
