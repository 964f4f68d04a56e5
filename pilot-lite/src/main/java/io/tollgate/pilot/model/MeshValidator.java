package io.tollgate.pilot.model;

import io.grpc.Status;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.config.Durations;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a mesh as a whole: what Envoy or gRPC would otherwise reject late, or route to nowhere.
 * Every problem names the object, the field path and what to do.
 */
final class MeshValidator {
  static final Pattern PORT_NAME =
      Pattern.compile("(http|http2|grpc|tcp|mongo|redis)(-[a-z0-9.-]*)?");

  private MeshValidator() {}

  static List<ConfigError> validate(Mesh mesh) {
    List<ConfigError> out = new ArrayList<>();
    List<Mesh.Located<?>> all = new ArrayList<>(mesh.serviceEntries());
    all.addAll(mesh.virtualServices());
    all.addAll(mesh.destinationRules());
    for (Mesh.Located<?> r : all) {
      Resource.Metadata m = r.resource().metadata();
      if (m == null || m.name() == null || m.name().isBlank()) {
        new Problems(r, out).add("metadata.name", "every mesh object needs a name");
      }
    }
    Map<String, Mesh.Located<ServiceEntry>> hosts = new HashMap<>();
    for (var se : mesh.serviceEntries()) {
      Problems p = new Problems(se, out);
      var spec = se.resource().spec();
      if (spec == null || spec.hosts() == null || spec.hosts().isEmpty()) {
        p.add("spec.hosts", "a ServiceEntry needs at least one host");
        continue;
      }
      for (String h : spec.hosts()) {
        var before = hosts.putIfAbsent(h, se);
        if (before != null) {
          p.add(
              "spec.hosts",
              "host "
                  + h
                  + " is already declared by ServiceEntry "
                  + before.name()
                  + " at "
                  + before.where());
        }
      }
      Set<String> portNames = new HashSet<>();
      List<ServiceEntry.Port> ports = spec.ports() == null ? List.of() : spec.ports();
      if (ports.isEmpty()) {
        p.add("spec.ports", "a ServiceEntry needs at least one port");
      }
      for (int i = 0; i < ports.size(); i++) {
        var port = ports.get(i);
        if (port.number() < 1 || port.number() > 65535) {
          p.add("spec.ports[" + i + "].number", port.number() + " is not a port (1..65535)");
        }
        if (port.name() == null || !PORT_NAME.matcher(port.name()).matches()) {
          p.add(
              "spec.ports[" + i + "].name",
              "'"
                  + port.name()
                  + "' must be <protocol>[-<suffix>] with protocol http, http2, grpc,"
                  + " tcp, mongo or redis (e.g. grpc-api)");
        } else {
          portNames.add(port.name());
        }
      }
      List<ServiceEntry.Endpoint> endpoints =
          spec.endpoints() == null ? List.of() : spec.endpoints();
      for (int i = 0; i < endpoints.size(); i++) {
        var ep = endpoints.get(i);
        if (ep.address() == null || ep.address().isBlank()) {
          p.add("spec.endpoints[" + i + "].address", "an endpoint needs an address");
        }
        if (ep.ports() != null) {
          for (String name : ep.ports().keySet()) {
            if (!portNames.contains(name)) {
              p.add(
                  "spec.endpoints[" + i + "].ports." + name,
                  "names no port of this ServiceEntry (its ports: " + portNames + ")");
            }
          }
        }
      }
    }
    Map<String, Set<String>> subsets = new HashMap<>();
    for (var dr : mesh.destinationRules()) {
      Problems p = new Problems(dr, out);
      var spec = dr.resource().spec();
      if (spec == null || spec.host() == null || !hosts.containsKey(spec.host())) {
        p.add(
            "spec.host",
            "'" + (spec == null ? null : spec.host()) + "' is not a host of any ServiceEntry");
        continue;
      }
      Set<String> names = subsets.computeIfAbsent(spec.host(), h -> new HashSet<>());
      List<DestinationRule.Subset> list = spec.subsets() == null ? List.of() : spec.subsets();
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i).name() == null || !names.add(list.get(i).name())) {
          p.add(
              "spec.subsets[" + i + "].name",
              "subset names must be given and unique per host; '"
                  + list.get(i).name()
                  + "' is not");
        }
      }
      checkPolicy(p, "spec.trafficPolicy", spec.trafficPolicy());
    }
    for (var vs : mesh.virtualServices()) {
      Problems p = new Problems(vs, out);
      var spec = vs.resource().spec();
      if (spec == null || spec.hosts() == null || spec.hosts().isEmpty()) {
        p.add("spec.hosts", "a VirtualService needs at least one host");
        continue;
      }
      for (String h : spec.hosts()) {
        if (!hosts.containsKey(h)) {
          p.add(
              "spec.hosts",
              "host " + h + " is not declared by any ServiceEntry; add one or fix the name");
        }
      }
      List<VirtualService.HttpRoute> routes = spec.http() == null ? List.of() : spec.http();
      for (int i = 0; i < routes.size(); i++) {
        checkRoute(p, "spec.http[" + i + "]", routes.get(i), hosts, subsets);
      }
    }
    return out;
  }

  private static void checkRoute(
      Problems p,
      String at,
      VirtualService.HttpRoute r,
      Map<String, Mesh.Located<ServiceEntry>> hosts,
      Map<String, Set<String>> subsets) {
    List<VirtualService.Destination> dests = r.route() == null ? List.of() : r.route();
    if (dests.isEmpty()) {
      p.add(at + ".route", "a route needs at least one destination");
    }
    int sum = 0;
    for (int j = 0; j < dests.size(); j++) {
      var d = dests.get(j);
      String dAt = at + ".route[" + j + "]";
      if (d.destination() == null || d.destination().host() == null) {
        p.add(dAt + ".destination.host", "a destination needs a host");
        continue;
      }
      String host = d.destination().host();
      if (!hosts.containsKey(host)) {
        p.add(dAt + ".destination.host", "host " + host + " is not declared by any ServiceEntry");
      } else if (d.destination().subset() != null
          && !subsets.getOrDefault(host, Set.of()).contains(d.destination().subset())) {
        p.add(
            dAt + ".destination.subset",
            "subset '"
                + d.destination().subset()
                + "' is not defined by a DestinationRule for "
                + host
                + " (defined: "
                + subsets.getOrDefault(host, Set.of())
                + ")");
      }
      if (d.weight() != null && (d.weight() < 0 || d.weight() > 100)) {
        p.add(dAt + ".weight", d.weight() + " is not a percentage (0..100)");
      }
      sum += d.weight() == null ? (dests.size() == 1 ? 100 : 0) : d.weight();
    }
    if (!dests.isEmpty() && sum != 100) {
      p.add(at + ".route", "weights add up to " + sum + ", not 100");
    }
    List<VirtualService.Match> matches = r.match() == null ? List.of() : r.match();
    for (int j = 0; j < matches.size(); j++) {
      var m = matches.get(j);
      String mAt = at + ".match[" + j + "]";
      checkString(p, mAt + ".uri", m.uri());
      checkString(p, mAt + ".method", m.method());
      if (m.headers() != null) {
        m.headers().forEach((k, v) -> checkString(p, mAt + ".headers." + k, v));
      }
      if (m.queryParams() != null) {
        m.queryParams().forEach((k, v) -> checkString(p, mAt + ".queryParams." + k, v));
      }
    }
    duration(p, at + ".timeout", r.timeout());
    if (r.retries() != null) {
      if (r.retries().attempts() < 0) {
        p.add(at + ".retries.attempts", "must not be negative");
      }
      duration(p, at + ".retries.perTryTimeout", r.retries().perTryTimeout());
    }
    if (r.fault() != null) {
      if (r.fault().delay() != null) {
        percent(p, at + ".fault.delay.percentage", r.fault().delay().percentage());
        if (r.fault().delay().fixedDelay() == null) {
          p.add(at + ".fault.delay.fixedDelay", "a delay fault needs fixedDelay");
        }
        duration(p, at + ".fault.delay.fixedDelay", r.fault().delay().fixedDelay());
      }
      var abort = r.fault().abort();
      if (abort != null) {
        percent(p, at + ".fault.abort.percentage", abort.percentage());
        if ((abort.httpStatus() == null) == (abort.grpcStatus() == null)) {
          p.add(at + ".fault.abort", "give exactly one of httpStatus and grpcStatus");
        } else if (abort.httpStatus() != null
            && (abort.httpStatus() < 200 || abort.httpStatus() > 599)) {
          p.add(
              at + ".fault.abort.httpStatus",
              abort.httpStatus() + " is not an HTTP status (200..599)");
        } else if (abort.grpcStatus() != null) {
          try {
            Status.Code.valueOf(abort.grpcStatus());
          } catch (IllegalArgumentException e) {
            p.add(
                at + ".fault.abort.grpcStatus",
                "'" + abort.grpcStatus() + "' is not a gRPC status name (e.g. UNAVAILABLE)");
          }
        }
      }
    }
  }

  private static void checkPolicy(Problems p, String at, DestinationRule.TrafficPolicy policy) {
    if (policy == null) {
      return;
    }
    if (policy.loadBalancer() != null
        && policy.loadBalancer().simple() != null
        && !Set.of("ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "PASSTHROUGH")
            .contains(policy.loadBalancer().simple())) {
      p.add(
          at + ".loadBalancer.simple",
          "'"
              + policy.loadBalancer().simple()
              + "' is not ROUND_ROBIN, LEAST_REQUEST, RANDOM or PASSTHROUGH");
    }
    if (policy.outlierDetection() != null) {
      duration(p, at + ".outlierDetection.interval", policy.outlierDetection().interval());
      duration(
          p,
          at + ".outlierDetection.baseEjectionTime",
          policy.outlierDetection().baseEjectionTime());
    }
    if (policy.connectionPool() != null && policy.connectionPool().tcp() != null) {
      duration(
          p,
          at + ".connectionPool.tcp.connectTimeout",
          policy.connectionPool().tcp().connectTimeout());
    }
    if (policy.tls() != null
        && !Set.of("DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")
            .contains(String.valueOf(policy.tls().mode()))) {
      p.add(
          at + ".tls.mode",
          "'" + policy.tls().mode() + "' is not DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL");
    }
  }

  private static void checkString(Problems p, String at, VirtualService.StringMatch m) {
    if (m == null) {
      return;
    }
    int given =
        (m.exact() != null ? 1 : 0) + (m.prefix() != null ? 1 : 0) + (m.regex() != null ? 1 : 0);
    if (given != 1) {
      p.add(at, "give exactly one of exact, prefix and regex");
    } else if (m.regex() != null) {
      try {
        com.google.re2j.Pattern.compile(m.regex());
      } catch (com.google.re2j.PatternSyntaxException e) {
        p.add(at + ".regex", "not an RE2 expression: " + e.getMessage());
      }
    }
  }

  private static void duration(Problems p, String at, String value) {
    if (value == null) {
      return;
    }
    try {
      Durations.parse(value);
    } catch (IllegalArgumentException e) {
      p.add(at, e.getMessage());
    }
  }

  private static void percent(Problems p, String at, VirtualService.Percent value) {
    if (value != null && (value.value() < 0 || value.value() > 100)) {
      p.add(at, value.value() + " is not a percentage (0..100)");
    }
  }

  /** Problems of one object, located at its document. */
  private record Problems(Mesh.Located<?> object, List<ConfigError> out) {
    void add(String field, String message) {
      out.add(
          new ConfigError(
              object.file(),
              object.line(),
              0,
              object.resource().kind() + " " + object.name() + ": " + field + ": " + message));
    }
  }
}
