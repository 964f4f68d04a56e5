package io.tollgate.server.envoy;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.rules.Decider;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.server.CheckListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AuthorizationService} answers Envoy's {@code envoy.service.auth.v3.Authorization/Check}.
 * It runs on the gRPC server's application executor, never on a Netty event loop.
 */
public final class AuthorizationService extends AuthorizationGrpc.AuthorizationImplBase {
  private static final Logger log = LoggerFactory.getLogger(AuthorizationService.class);

  private final Decider decider;
  private final CheckListener listener;
  private final boolean revealRule;

  public AuthorizationService(Decider decider, CheckListener listener, boolean revealRule) {
    this.decider = decider;
    this.listener = listener;
    this.revealRule = revealRule;
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
    long started = System.nanoTime();
    CheckResponse response;
    try {
      Attributes attributes = AttributeMapper.map(request);
      PolicyDecision d = decider.check(attributes);
      response = CheckResponses.of(d, revealRule);
      listener.decided("grpc", attributes, d, System.nanoTime() - started);
    } catch (RuntimeException e) {
      listener.failed("grpc");
      log.warn("check failed", e);
      out.onError(
          Status.INTERNAL
              .withDescription("tollgate could not decide: " + e.getClass().getSimpleName() + ": " + e.getMessage())
              .asRuntimeException());
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }
}
