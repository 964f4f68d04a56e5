package io.tollgate.pilot;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tollgate.pilot.test.GreeterGrpc;
import io.tollgate.pilot.test.HelloReply;
import io.tollgate.pilot.test.HelloRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/** A greeter that says which version it is; {@code failEveryOther} answers UNAVAILABLE to every second call. */
final class Greeters {
  private Greeters() {}

  static Server start(String version, boolean failEveryOther) throws IOException {
    AtomicInteger calls = new AtomicInteger();
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new GreeterGrpc.GreeterImplBase() {
          @Override
          public void hello(HelloRequest request, StreamObserver<HelloReply> response) {
            if (failEveryOther && calls.incrementAndGet() % 2 == 1) {
              response.onError(Status.UNAVAILABLE.withDescription(version + " fails every other call").asRuntimeException());
              return;
            }
            response.onNext(HelloReply.newBuilder().setMessage("hello " + request.getName()).setVersion(version).build());
            response.onCompleted();
          }
        })
        .build()
        .start();
  }

  static int port(Server s) {
    return ((InetSocketAddress) s.getListenSockets().get(0)).getPort();
  }
}
