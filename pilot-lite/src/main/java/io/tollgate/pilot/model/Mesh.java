package io.tollgate.pilot.model;

import java.util.List;
import java.util.Map;

/**
 * The mesh as read from files: registry and rules, each object with where it was written.
 * Immutable; a new {@code Mesh} replaces the old one only when all of it validates.
 */
public record Mesh(
    List<Located<ServiceEntry>> serviceEntries,
    List<Located<VirtualService>> virtualServices,
    List<Located<DestinationRule>> destinationRules) {

  /** An object and the file position of its document. */
  public record Located<T extends Resource>(T resource, String file, int line) {
    public String where() {
      return file + ":" + line;
    }

    /** {@code namespace/name}; {@code default/null} for one without metadata (a load problem). */
    public String name() {
      Resource.Metadata m = resource.metadata();
      return m == null ? "default/null" : m.namespaceOrDefault() + "/" + m.name();
    }
  }

  /** Every ServiceEntry host, with the entry that declares it. */
  public Map<String, Located<ServiceEntry>> hosts() {
    Map<String, Located<ServiceEntry>> out = new java.util.LinkedHashMap<>();
    for (Located<ServiceEntry> se : serviceEntries) {
      for (String h : se.resource().spec().hosts()) {
        out.putIfAbsent(h, se);
      }
    }
    return out;
  }
}
