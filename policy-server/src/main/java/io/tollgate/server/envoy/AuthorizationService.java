package io.tollgate.server.envoy;

import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.common.errors.ErrorIds;
import io.tollgate.rules.Decider;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.server.CheckListener;
import io.tollgate.server.warmup.WarmUpCalls;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AuthorizationService} answers Envoy's {@code envoy.service.auth.v3.Authorization/Check}.
 * It runs on the gRPC server's application executor, never on a Netty event loop.
 *
 * <p>Register it with {@link #bind()}: a request that is not a valid {@code CheckRequest} (bad wire
 * format, invalid UTF-8 in a string field) is then answered {@code INVALID_ARGUMENT} with the
 * parser's reason, instead of grpc-java's generic {@code UNKNOWN}. That reason describes the
 * caller's own bytes; a failure of the server's (a handler's exception) is answered {@code
 * INTERNAL} with {@link ErrorIds#clientMessage} only, and its detail goes to the log under the same
 * id.
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

  /**
   * The service definition, with requests that fail to parse answered as {@code INVALID_ARGUMENT}.
   */
  public ServerServiceDefinition bind() {
    MethodDescriptor<CheckRequest, CheckResponse> stock = AuthorizationGrpc.getCheckMethod();
    MethodDescriptor<Parsed, CheckResponse> tolerant =
        stock.toBuilder(
                new TolerantMarshaller(stock.getRequestMarshaller()), stock.getResponseMarshaller())
            .build();
    ServiceDescriptor service =
        ServiceDescriptor.newBuilder(AuthorizationGrpc.SERVICE_NAME)
            .setSchemaDescriptor(AuthorizationGrpc.getServiceDescriptor().getSchemaDescriptor())
            .addMethod(tolerant)
            .build();
    return ServerServiceDefinition.builder(service)
        .addMethod(
            tolerant,
            ServerCalls.asyncUnaryCall(
                (Parsed p, StreamObserver<CheckResponse> out) -> {
                  if (p.request() == null) {
                    listener.failed("grpc");
                    out.onError(
                        Status.INVALID_ARGUMENT
                            .withDescription("malformed CheckRequest: " + p.problem())
                            .asRuntimeException());
                  } else {
                    check(p.request(), out);
                  }
                }))
        .build();
  }

  /** A parsed request, or why it could not be parsed. */
  record Parsed(CheckRequest request, String problem) {}

  /** Parses with the stock marshaller, turning its failure into a value instead of an exception. */
  private record TolerantMarshaller(MethodDescriptor.Marshaller<CheckRequest> stock)
      implements MethodDescriptor.Marshaller<Parsed> {
    @Override
    public InputStream stream(Parsed value) {
      return stock.stream(value.request());
    }

    @Override
    public Parsed parse(InputStream stream) {
      try {
        return new Parsed(stock.parse(stream), null);
      } catch (StatusRuntimeException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        return new Parsed(null, cause.getMessage());
      }
    }
  }

  /**
   * Decides one request. A warm-up call ({@link WarmUpCalls#current()}) is decided by the version
   * being warmed and not reported to the listener (metrics, decision log, dashboard).
   */
  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> out) {
    long started = System.nanoTime();
    boolean warmUp = WarmUpCalls.current();
    CheckResponse response;
    long deadline = Decider.NO_DEADLINE;
    Deadline callerDeadline = Context.current().getDeadline();
    if (callerDeadline != null) {
      long left = callerDeadline.timeRemaining(TimeUnit.NANOSECONDS);
      if (left <= 0) {
        // Envoy has given up on this call already: an answer would go nowhere.
        out.onError(
            Status.DEADLINE_EXCEEDED
                .withDescription("the call's deadline had passed")
                .asRuntimeException());
        return;
      }
      deadline = started + left;
    }
    try {
      Attributes attributes = AttributeMapper.map(request);
      PolicyDecision d =
          warmUp ? decider.warmUpCheck(attributes) : decider.check(attributes, deadline);
      response = CheckResponses.of(d, revealRule);
      if (!warmUp) {
        listener.decided("grpc", attributes, d, System.nanoTime() - started);
      }
    } catch (RuntimeException e) {
      if (!warmUp) {
        listener.failed("grpc");
      }
      // The exception's text describes the server, not the request: it goes to the log only.
      String id = ErrorIds.next();
      log.error("check failed (id {})", id, e);
      out.onError(Status.INTERNAL.withDescription(ErrorIds.clientMessage(id)).asRuntimeException());
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }
}
