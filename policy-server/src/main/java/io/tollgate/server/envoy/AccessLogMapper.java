package io.tollgate.server.envoy;

import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.server.attributes.AttributeTable;

/**
 * {@code AccessLogMapper} turns one entry of Envoy's gRPC access log into Tollgate's attributes,
 * for report rules: the entry is read as an {@link AccessLogView} and {@link AttributeTable}
 * derives the attributes, as for the check transports. Where the entry and a {@code CheckRequest}
 * describe the same request, the attributes are the same; the access log adds {@code response.*}.
 * Stateless and thread-safe.
 */
public final class AccessLogMapper {
  private AccessLogMapper() {}

  /** Maps one entry. Never throws for odd input: what cannot be read is left out. */
  public static Attributes map(HTTPAccessLogEntry e) {
    return AttributeTable.attributes(new AccessLogView(e));
  }
}
