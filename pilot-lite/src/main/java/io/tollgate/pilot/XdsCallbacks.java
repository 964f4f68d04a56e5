package io.tollgate.pilot;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.exception.RequestException;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code XdsCallbacks} is what pilot-lite does on the discovery server's stream events: counts the
 * open streams, has every request's node admitted before the cache sees the request, and logs and
 * counts the configurations proxies reject (NACKs), state of the world and delta alike.
 */
final class XdsCallbacks implements DiscoveryServerCallbacks {
  private static final Logger log = LoggerFactory.getLogger(XdsCallbacks.class);

  /** Checks a request's node before it is served; refuses it by throwing. */
  interface Admission {
    void admit(Node node) throws RequestException;
  }

  private final PilotMetrics metrics;
  private final Admission admission;
  private final ConcurrentHashMap<Long, String> open = new ConcurrentHashMap<>();

  XdsCallbacks(PilotMetrics metrics, Admission admission) {
    this.metrics = metrics;
    this.admission = admission;
  }

  @Override
  public void onStreamOpen(long streamId, String typeUrl) {
    open.put(streamId, typeUrl);
    metrics.streams.set(open.size());
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    open.remove(streamId);
    metrics.streams.set(open.size());
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    onStreamClose(streamId, typeUrl);
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) throws RequestException {
    onRequest(
        request.getNode(),
        request.getTypeUrl(),
        request.getResponseNonce(),
        request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request)
      throws RequestException {
    onRequest(
        request.getNode(),
        request.getTypeUrl(),
        request.getResponseNonce(),
        request.hasErrorDetail() ? request.getErrorDetail().getMessage() : null);
  }

  /** {@code error}: the proxy's reason for rejecting the last response, or null when it took it. */
  private void onRequest(Node node, String typeUrl, String nonce, String error)
      throws RequestException {
    admission.admit(node);
    if (error != null) {
      String type = typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
      metrics.rejected.labelValues(type).inc();
      log.warn("proxy {} rejected {} (nonce {}): {}", node.getId(), type, nonce, error);
    }
  }
}
