package io.tollgate.server;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.tollgate.common.lifecycle.FatalErrors;
import io.tollgate.server.quota.QuotaConnection;
import java.util.function.BooleanSupplier;

/**
 * {@code Readiness} is whether the policy server's own parts are ready, as {@code /readyz} and the
 * gRPC health service say: every transport listens, the first policy version is warmed up and, when
 * the serving policy needs it, the quota cluster can be reached. Thread-safe.
 */
final class Readiness {
  private final HealthStatusManager health = new HealthStatusManager();
  private final BooleanSupplier quotasNeeded;
  private final QuotaConnection quotas;
  private volatile boolean listening;

  /** Whether the first version's warm-up is over; until then the server is not ready. */
  private volatile boolean warmedUp;

  /**
   * @param quotasNeeded whether the serving policy has rate limits or quota handlers
   * @param quotas the connection to the quota cluster that then has to be ready
   */
  Readiness(BooleanSupplier quotasNeeded, QuotaConnection quotas) {
    this.quotasNeeded = quotasNeeded;
    this.quotas = quotas;
  }

  /** The gRPC health service: NOT_SERVING once the gRPC server starts, SERVING once warmed up. */
  BindableService healthService() {
    return health.getHealthService();
  }

  /** The gRPC server has started; its health service says NOT_SERVING until the warm-up is over. */
  void grpcStarted() {
    status(ServingStatus.NOT_SERVING);
  }

  /** Every transport listens. */
  void listening() {
    listening = true;
  }

  /** The first version's warm-up is over, whatever its outcome. */
  void warmedUp() {
    warmedUp = true;
    if (FatalErrors.reason().isEmpty()) {
      status(ServingStatus.SERVING);
    }
  }

  /**
   * The process hit a fatal error ({@code reason}): the health service says NOT_SERVING from now on
   * ({@code /readyz} asks {@link FatalErrors} itself).
   */
  void fatal(String reason) {
    status(ServingStatus.NOT_SERVING);
  }

  /** The server is closing: not ready from now on, and the health service says so for good. */
  void closing() {
    listening = false;
    health.enterTerminalState();
  }

  /** Empty when the server's own parts are ready; else why not. */
  String notReadyReason() {
    if (!listening) {
      return "transports not listening";
    }
    if (!warmedUp) {
      return "warming up the check and rate-limit paths";
    }
    return quotasNeeded.getAsBoolean() ? quotas.notReadyReason() : "";
  }

  private void status(ServingStatus s) {
    health.setStatus("", s);
    health.setStatus(AuthorizationGrpc.SERVICE_NAME, s);
  }
}
