package io.tollgate.pilot.model;

import java.util.List;
import java.util.Map;

/**
 * How requests to some hosts are routed: matches, weighted destinations, retries, timeouts, faults,
 * rewrites.
 */
public record VirtualService(String apiVersion, String kind, Metadata metadata, Spec spec)
    implements Resource {
  public record Spec(
      List<String> hosts, List<String> gateways, List<HttpRoute> http, List<String> exportTo) {}

  public record HttpRoute(
      String name,
      List<Match> match,
      List<Destination> route,
      Retries retries,
      String timeout,
      Fault fault,
      Rewrite rewrite) {}

  public record Match(
      String name,
      StringMatch uri,
      StringMatch method,
      Map<String, StringMatch> headers,
      Map<String, StringMatch> queryParams,
      Boolean ignoreUriCase) {}

  /** Exactly one of {@code exact}, {@code prefix}, {@code regex} (RE2). */
  public record StringMatch(String exact, String prefix, String regex) {}

  public record Destination(Target destination, Integer weight) {}

  public record Target(String host, String subset, PortSelector port) {}

  public record PortSelector(int number) {}

  public record Retries(int attempts, String perTryTimeout, String retryOn) {}

  public record Fault(Delay delay, Abort abort) {}

  public record Percent(double value) {}

  public record Delay(Percent percentage, String fixedDelay) {}

  /**
   * {@code httpStatus} for HTTP, {@code grpcStatus} (a gRPC code name such as UNAVAILABLE) for
   * gRPC.
   */
  public record Abort(Percent percentage, Integer httpStatus, String grpcStatus) {}

  public record Rewrite(String uri, String authority) {}
}
