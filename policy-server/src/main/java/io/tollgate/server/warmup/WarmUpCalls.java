package io.tollgate.server.warmup;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * {@code WarmUpCalls} tells the server's warm-up traffic from everyone else's: a warm-up call
 * carries the header {@value #HEADER} with a random token made when the server starts and never
 * shown. On the gRPC port {@link #interceptor()} marks such calls ({@link #current()}); the HTTP
 * check asks {@link #isWarmUp(String)}. A request with any other value is an ordinary request.
 * Thread-safe.
 */
public final class WarmUpCalls {
  /** The header (gRPC metadata key) a warm-up call carries its token in. */
  public static final String HEADER = "x-tollgate-warm-up";

  static final Metadata.Key<String> METADATA =
      Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Boolean> MARK = Context.key("tollgate-warm-up");

  private final byte[] token;

  public WarmUpCalls() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    token = HexFormat.of().formatHex(b).getBytes(StandardCharsets.US_ASCII);
  }

  String token() {
    return new String(token, StandardCharsets.US_ASCII);
  }

  /** Whether {@code headerValue} is this server's warm-up token. */
  public boolean isWarmUp(String headerValue) {
    return headerValue != null
        && MessageDigest.isEqual(token, headerValue.getBytes(StandardCharsets.US_ASCII));
  }

  /** Whether the gRPC call being served is this server's warm-up. */
  public static boolean current() {
    return Boolean.TRUE.equals(MARK.get());
  }

  /** Marks calls that carry the token, for {@link #current()}. */
  public ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        if (!isWarmUp(headers.get(METADATA))) {
          return next.startCall(call, headers);
        }
        return Contexts.interceptCall(
            Context.current().withValue(MARK, Boolean.TRUE), call, headers, next);
      }
    };
  }
}
