package io.tollgate.pilot.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Map;

/**
 * One Istio networking object, as written in YAML ({@code apiVersion}, {@code kind}, {@code
 * metadata}, {@code spec}). Only the documented subset is accepted: a field outside it is a load
 * error with its location, never silently ignored.
 */
@JsonTypeInfo(
    use = JsonTypeInfo.Id.NAME,
    include = JsonTypeInfo.As.EXISTING_PROPERTY,
    property = "kind",
    visible = true)
@JsonSubTypes({
  @JsonSubTypes.Type(value = ServiceEntry.class, name = "ServiceEntry"),
  @JsonSubTypes.Type(value = VirtualService.class, name = "VirtualService"),
  @JsonSubTypes.Type(value = DestinationRule.class, name = "DestinationRule")
})
public sealed interface Resource permits ServiceEntry, VirtualService, DestinationRule {
  String apiVersion();

  String kind();

  Metadata metadata();

  /**
   * {@code name}, {@code namespace} (default {@code default}), labels and annotations are read; the
   * rest is Kubernetes' own.
   */
  record Metadata(
      String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {
    public String namespaceOrDefault() {
      return namespace == null || namespace.isEmpty() ? "default" : namespace;
    }
  }
}
