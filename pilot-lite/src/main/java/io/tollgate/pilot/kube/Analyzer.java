package io.tollgate.pilot.kube;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.common.config.YamlDocument;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code tollgate analyze}: Istio's pod requirements and the common mistakes in a set of manifests,
 * each finding with its file, line, object and the fix. Services' ports must be named {@code
 * <protocol>[-<suffix>]}; workloads need an {@code app} label (and should have {@code version}); a
 * pod should be selected by one Service; a container port's name must be {@code
 * <protocol>[-<suffix>]} or a valid Kubernetes port name; VirtualServices must name known hosts and
 * subsets, with weights adding up to 100.
 */
public final class Analyzer {
  static final Pattern PORT_NAME =
      Pattern.compile(
          "(http|http2|https|grpc|grpc-web|tcp|tls|mongo|redis|mysql|udp)(-[a-z0-9.-]*)?");

  /**
   * A Kubernetes port name (IANA_SVC_NAME, RFC 6335): at most 15 characters, lower-case letters,
   * digits and '-', at least one letter, no '-' at either end or twice in a row.
   */
  static final Pattern IANA_SVC_NAME = Pattern.compile("(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*");

  public enum Severity {
    ERROR,
    WARNING
  }

  public record Finding(
      Severity severity, String file, int line, String object, String message, String fix) {
    @Override
    public String toString() {
      return severity + " " + file + ":" + line + " " + object + ": " + message + " Fix: " + fix;
    }
  }

  private Analyzer() {}

  public static List<Finding> analyze(List<Manifests.Doc> docs) {
    List<Finding> out = new ArrayList<>();
    List<Manifests.Doc> services = new ArrayList<>();
    Map<String, Set<String>> subsets = new HashMap<>();
    Set<String> hosts = new HashSet<>();
    for (Manifests.Doc d : docs) {
      if (d.tree() == null) {
        continue;
      }
      switch (d.kind()) {
        case "Service" -> {
          services.add(d);
          hosts.add(d.name());
          hosts.add(d.name() + "." + d.namespace());
          hosts.add(d.name() + "." + d.namespace() + ".svc.cluster.local");
          checkServicePorts(d, out);
        }
        case "ServiceEntry" ->
            d.tree().path("spec").path("hosts").forEach(h -> hosts.add(h.asText()));
        case "DestinationRule" -> {
          Set<String> names =
              subsets.computeIfAbsent(
                  d.tree().path("spec").path("host").asText(), h -> new HashSet<>());
          d.tree().path("spec").path("subsets").forEach(s -> names.add(s.path("name").asText()));
        }
        default -> {}
      }
    }
    for (Manifests.Doc d : docs) {
      if (d.tree() == null) {
        continue;
      }
      JsonNode pod = Manifests.podTemplate(d.tree());
      if (pod != null) {
        checkWorkload(d, pod, services, out);
      }
      if (d.kind().equals("VirtualService")) {
        checkVirtualService(d, hosts, subsets, out);
      }
    }
    return out;
  }

  private static void checkServicePorts(Manifests.Doc d, List<Finding> out) {
    JsonNode ports = d.tree().path("spec").path("ports");
    for (int i = 0; i < ports.size(); i++) {
      JsonNode p = ports.get(i);
      String name = p.path("name").asText("");
      String port = p.path("port").asText("?");
      if (!p.path("appProtocol").asText("").isEmpty()) {
        continue;
      }
      if (name.isEmpty()) {
        out.add(
            finding(
                Severity.ERROR,
                d,
                "port "
                    + port
                    + " has no name, so its protocol is unknown"
                    + " and it is treated as plain TCP (no routing, no ext_authz).",
                "name it <protocol>[-<suffix>], e.g. http-web or grpc-api,"
                    + " or set appProtocol."));
      } else if (!PORT_NAME.matcher(name).matches()) {
        out.add(
            finding(
                Severity.ERROR,
                d,
                "port " + port + " is named '" + name + "', which does not start with a protocol.",
                "rename it " + suggest(name) + " (<protocol>[-<suffix>]) or set appProtocol."));
      }
    }
  }

  private static Finding finding(Severity severity, Manifests.Doc d, String message, String fix) {
    return new Finding(severity, d.file(), d.line(), d.describe(), message, fix);
  }

  private static String suggest(String name) {
    return "http-" + name.replaceAll("[^a-z0-9.-]", "-");
  }

  private static void checkWorkload(
      Manifests.Doc d, JsonNode pod, List<Manifests.Doc> services, List<Finding> out) {
    JsonNode labels = pod.path("metadata").path("labels");
    if (labels.path("app").asText("").isEmpty()) {
      out.add(
          finding(
              Severity.ERROR,
              d,
              "the pod template has no 'app' label; telemetry and"
                  + " policies cannot name this workload.",
              "add metadata.labels.app: " + d.name() + " to the pod template."));
    }
    if (labels.path("version").asText("").isEmpty()) {
      out.add(
          finding(
              Severity.WARNING,
              d,
              "the pod template has no 'version' label; subsets of a"
                  + " DestinationRule cannot tell versions apart.",
              "add metadata.labels.version (e.g. v1) to the pod template."));
    }
    checkContainerPorts(d, pod, out);
    List<String> selecting = new ArrayList<>();
    for (Manifests.Doc s : services) {
      JsonNode selector = s.tree().path("spec").path("selector");
      if (!s.namespace().equals(d.namespace()) || selector.isEmpty()) {
        continue;
      }
      boolean all = true;
      for (Map.Entry<String, JsonNode> e : selector.properties()) {
        all &= e.getValue().asText().equals(labels.path(e.getKey()).asText(null));
      }
      if (all) {
        selecting.add(s.name());
      }
    }
    if (selecting.size() > 1) {
      out.add(
          finding(
              Severity.ERROR,
              d,
              "its pods are selected by more than one Service "
                  + selecting
                  + "; a pod must belong to one Service for routing and identity to be unambiguous.",
              "narrow the selectors so that one Service selects these pods."));
    }
  }

  /**
   * Container port names Kubernetes refuses: one that is not a valid port name (IANA_SVC_NAME)
   * fails {@code kubectl apply}, unless it reads as {@code <protocol>[-<suffix>]}, which is the
   * other thing a port name is for here. Reported at the name's own line.
   */
  private static void checkContainerPorts(Manifests.Doc d, JsonNode pod, List<Finding> out) {
    String podPath = Manifests.podTemplatePath(d.kind());
    for (String list : List.of("initContainers", "containers")) {
      JsonNode containers = pod.path("spec").path(list);
      for (int c = 0; c < containers.size(); c++) {
        JsonNode ports = containers.get(c).path("ports");
        for (int i = 0; i < ports.size(); i++) {
          JsonNode name = ports.get(i).path("name");
          if (!name.isTextual() || name.asText().isEmpty()) {
            continue;
          }
          String n = name.asText();
          if (PORT_NAME.matcher(n).matches()
              || (n.length() <= 15 && IANA_SVC_NAME.matcher(n).matches())) {
            continue;
          }
          String path =
              YamlDocument.child(
                  YamlDocument.item(
                      YamlDocument.child(
                          YamlDocument.item(
                              YamlDocument.child(YamlDocument.child(podPath, "spec"), list), c),
                          "ports"),
                      i),
                  "name");
          out.add(
              new Finding(
                  Severity.ERROR,
                  d.file(),
                  d.lineOf(path),
                  d.describe(),
                  "container '"
                      + containers.get(c).path("name").asText("?")
                      + "' port "
                      + ports.get(i).path("containerPort").asText("?")
                      + " is named '"
                      + n
                      + "', which is neither <protocol>[-<suffix>] nor a valid Kubernetes port name"
                      + " (at most 15 characters of a-z, 0-9 and '-', a letter among them, no '-' at"
                      + " either end or twice in a row); Kubernetes refuses it.",
                  "rename it, e.g. " + suggestPortName(n) + "."));
        }
      }
    }
  }

  /** A valid name close to {@code name}: {@code web_8081} becomes {@code http-web-8081}. */
  static String suggestPortName(String name) {
    String s =
        name.toLowerCase(java.util.Locale.ROOT)
            .replaceAll("[^a-z0-9]+", "-")
            .replaceAll("^-+|-+$", "");
    String withProtocol = PORT_NAME.matcher(s).matches() ? s : "http-" + s;
    return withProtocol.length() <= 15
        ? withProtocol
        : withProtocol.substring(0, 15).replaceAll("-+$", "");
  }

  private static void checkVirtualService(
      Manifests.Doc d, Set<String> hosts, Map<String, Set<String>> subsets, List<Finding> out) {
    JsonNode http = d.tree().path("spec").path("http");
    for (JsonNode h : d.tree().path("spec").path("hosts")) {
      if (!hosts.contains(h.asText())) {
        out.add(
            finding(
                Severity.ERROR,
                d,
                "host "
                    + h.asText()
                    + " is neither a Service nor a"
                    + " ServiceEntry host in these manifests.",
                "fix the name, or add the Service or ServiceEntry it means."));
      }
    }
    for (int i = 0; i < http.size(); i++) {
      JsonNode route = http.get(i).path("route");
      int sum = 0;
      for (int j = 0; j < route.size(); j++) {
        JsonNode dest = route.get(j).path("destination");
        String host = dest.path("host").asText("");
        String subset = dest.path("subset").asText("");
        String at = "http[" + i + "].route[" + j + "]";
        if (!hosts.contains(host)) {
          out.add(
              finding(
                  Severity.ERROR,
                  d,
                  at + " sends traffic to unknown host '" + host + "'.",
                  "name a Service or ServiceEntry host."));
        } else if (!subset.isEmpty() && !subsets.getOrDefault(host, Set.of()).contains(subset)) {
          out.add(
              finding(
                  Severity.ERROR,
                  d,
                  at
                      + " names subset '"
                      + subset
                      + "' of "
                      + host
                      + ", which no DestinationRule defines"
                      + (subsets.containsKey(host)
                          ? " (defined: " + subsets.get(host) + ")."
                          : "."),
                  "add the subset to the DestinationRule for " + host + ", or fix its name."));
        }
        sum +=
            route.get(j).has("weight")
                ? route.get(j).path("weight").asInt()
                : (route.size() == 1 ? 100 : 0);
      }
      if (route.size() > 0 && sum != 100) {
        out.add(
            finding(
                Severity.ERROR,
                d,
                "the weights of http[" + i + "] add up to " + sum + ".",
                "make them add up to 100."));
      }
    }
  }
}
