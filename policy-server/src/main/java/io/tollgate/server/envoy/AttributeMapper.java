package io.tollgate.server.envoy;

import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.server.attributes.AttributeTable;

/**
 * {@code AttributeMapper} turns Envoy's {@code CheckRequest} into Tollgate's attributes: the
 * request is read as a {@link CheckRequestView} and {@link AttributeTable} derives the attributes,
 * as for every other transport. The README repeats the table:
 *
 * <pre>
 * source.ip / source.port          attributes.source.address.socket_address.{address,port_value}
 * source.principal                 attributes.source.principal (URI SAN, else DNS SAN, else subject)
 * source.labels                    attributes.source.labels
 * source.namespace                 the ns/&lt;namespace&gt; part of a SPIFFE source.principal
 * destination.ip / destination.port attributes.destination.address.socket_address
 * destination.principal            attributes.destination.principal
 * destination.service.host         attributes.context_extensions["destination.service.host"] when
 *                                  present (the proxy's config: the workload it protects), else
 *                                  attributes.request.http.host without the port (the caller's Host)
 * destination.service.namespace    attributes.context_extensions["destination.service.namespace"]
 * request.id                       attributes.request.http.id
 * request.method                   attributes.request.http.method
 * request.path                     attributes.request.http.path (with the query)
 * request.url_path                 request.path without the query, normalized (PathNormalizer)
 * request.url_path_raw             request.path without the query, as sent
 * request.query_params             the query of request.path, decoded; first value wins
 * request.host                     attributes.request.http.host
 * request.scheme                   attributes.request.http.scheme
 * request.headers                  attributes.request.http.headers (or header_map), keys lower case
 * request.size                     attributes.request.http.size (body bytes; -1 when unknown)
 * request.body                     attributes.request.http.body, or raw_body as UTF-8 (with_request_body)
 * request.time                     attributes.request.time
 * context.protocol                 attributes.request.http.protocol (HTTP/1.1, HTTP/2, ...)
 * context.extensions               attributes.context_extensions
 * context.metadata                 attributes.metadata_context.filter_metadata (as maps)
 * connection.requested_server_name attributes.tls_session.sni
 * connection.mtls                  true when source.principal or source.certificate is set
 * </pre>
 *
 * <p>Anything absent or empty is left out (rules read it as the zero value). When the context
 * extensions carry {@code destination.service.host} (even empty), the Host header plays no part in
 * {@code destination.service.*}: a caller that sends another Host reaches the same workload through
 * a sidecar's catch-all virtual host and must not escape its rules. {@code request.host} stays the
 * header as sent. Stateless and thread-safe.
 */
public final class AttributeMapper {
  private AttributeMapper() {}

  /**
   * Maps one request. Never throws for odd input: what cannot be read is left out. Attributes are
   * derived when a rule first reads them.
   */
  public static Attributes map(CheckRequest request) {
    return AttributeTable.attributes(new CheckRequestView(request));
  }
}
