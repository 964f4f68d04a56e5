package io.tollgate.pilot;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.xds.XdsServerBuilder;
import io.tollgate.pilot.test.GreeterGrpc;
import io.tollgate.pilot.test.HelloReply;
import io.tollgate.pilot.test.HelloRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A greeter that says which version it is; {@code failEveryOther} answers UNAVAILABLE to every
 * second call.
 */
final class Greeters {
  private Greeters() {}

  static Server start(String version, boolean failEveryOther) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service(version, failEveryOther))
        .build()
        .start();
  }

  static GreeterGrpc.GreeterImplBase service(String version, boolean failEveryOther) {
    AtomicInteger calls = new AtomicInteger();
    return new GreeterGrpc.GreeterImplBase() {
      @Override
      public void hello(HelloRequest request, StreamObserver<HelloReply> response) {
        if (failEveryOther && calls.incrementAndGet() % 2 == 1) {
          response.onError(
              Status.UNAVAILABLE
                  .withDescription(version + " fails every other call")
                  .asRuntimeException());
          return;
        }
        response.onNext(
            HelloReply.newBuilder()
                .setMessage("hello " + request.getName())
                .setVersion(version)
                .build());
        response.onCompleted();
      }
    };
  }

  /**
   * A greeter built with XdsServerBuilder on 127.0.0.1:{@code port}, started; returns once the
   * listener from pilot-lite made it serve, and fails (instead of hanging in start()) when it does
   * not within 20 s.
   */
  static Server startXds(
      int port, ServerCredentials credentials, String version, ServerInterceptor... interceptors)
      throws Exception {
    CompletableFuture<Boolean> serving = new CompletableFuture<>();
    Server server =
        XdsServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), credentials)
            .addService(ServerInterceptors.intercept(service(version, false), interceptors))
            .xdsServingStatusListener(
                new XdsServerBuilder.XdsServingStatusListener() {
                  @Override
                  public void onServing() {
                    serving.complete(true);
                  }

                  @Override
                  public void onNotServing(Throwable t) {
                    serving.completeExceptionally(t);
                  }
                })
            .build();
    CompletableFuture.runAsync(
        () -> {
          try {
            server.start();
          } catch (IOException e) {
            serving.completeExceptionally(e);
          }
        });
    try {
      serving.get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      server.shutdownNow();
      throw e;
    }
    return server;
  }

  static int port(Server s) {
    return ((InetSocketAddress) s.getListenSockets().get(0)).getPort();
  }
}
