package io.tollgate.pilot.xds;

import io.envoyproxy.envoy.extensions.filters.common.fault.v3.FaultDelay;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.grpc.Status;
import io.tollgate.common.config.Durations;
import io.tollgate.pilot.model.VirtualService;

/**
 * {@code Faults} turns a VirtualService route's fault into the fault filter's per-route
 * configuration: a fixed delay and an abort (an HTTP status, or a gRPC status by its code name),
 * each for a percentage of requests (all when none is given).
 */
final class Faults {
  private Faults() {}

  static HTTPFault of(VirtualService.Fault f) {
    HTTPFault.Builder b = HTTPFault.newBuilder();
    if (f.delay() != null) {
      b.setDelay(
          FaultDelay.newBuilder()
              .setFixedDelay(Protos.duration(Durations.parse(f.delay().fixedDelay())))
              .setPercentage(percent(f.delay().percentage())));
    }
    if (f.abort() != null) {
      FaultAbort.Builder a = FaultAbort.newBuilder().setPercentage(percent(f.abort().percentage()));
      if (f.abort().grpcStatus() != null) {
        a.setGrpcStatus(Status.Code.valueOf(f.abort().grpcStatus()).value());
      } else {
        a.setHttpStatus(f.abort().httpStatus());
      }
      b.setAbort(a);
    }
    return b.build();
  }

  /** Percentages to a millionth: 0.1% is 1,000 per million. */
  private static FractionalPercent percent(VirtualService.Percent p) {
    double value = p == null ? 100 : p.value();
    return FractionalPercent.newBuilder()
        .setNumerator((int) Math.round(value * 10_000))
        .setDenominator(FractionalPercent.DenominatorType.MILLION)
        .build();
  }
}
