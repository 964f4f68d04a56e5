package io.tollgate.pilot.xds;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.PathWithEscapedSlashesAction;

/**
 * {@code PathNormalization} sets a sidecar's HTTP connection manager to normalize request paths the
 * way Istio does (its {@code pathNormalization} with slashes merged and escaped slashes unescaped
 * by redirect): RFC 3986 normalization ({@code normalize_path}), runs of slashes merged ({@code
 * merge_slashes}), and a request with {@code %2F} or {@code %5C} redirected to its unescaped path
 * ({@code UNESCAPE_AND_REDIRECT}).
 *
 * <p>Why: Envoy normalizes before its filters run and forwards the normalized path, so ext_authz
 * (the policy server's {@code request.url_path}), the routes and the workload all see one path.
 * Without it, {@code //admin} or {@code /%61dmin} reaches a workload that serves it as {@code
 * /admin} while a route or a rule matched something else. The redirect, unlike unescaping in place,
 * sends the client itself to the unescaped path, so no party in between reads {@code a%2Fb}
 * differently from the next; a gRPC request with an escaped slash is refused instead (gRPC method
 * paths never have one). Proxyless gRPC listeners are left alone: gRPC clients and servers do not
 * read these fields, and their paths are method names.
 */
final class PathNormalization {
  private PathNormalization() {}

  /** {@code hcm} with Istio's path normalization. */
  static HttpConnectionManager.Builder apply(HttpConnectionManager.Builder hcm) {
    return hcm.setNormalizePath(BoolValue.of(true))
        .setMergeSlashes(true)
        .setPathWithEscapedSlashesAction(PathWithEscapedSlashesAction.UNESCAPE_AND_REDIRECT);
  }
}
