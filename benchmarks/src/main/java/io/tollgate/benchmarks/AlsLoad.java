package io.tollgate.benchmarks;

import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.RequestMethod;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.data.accesslog.v3.AccessLogCommon;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPRequestProperties;
import io.envoyproxy.envoy.data.accesslog.v3.HTTPResponseProperties;
import io.envoyproxy.envoy.data.accesslog.v3.TLSProperties;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code AlsLoad} streams Envoy access-log entries to a server the way a sidecar's gRPC access
 * logger does: one stream, messages of {@code --batch} entries, at {@code --rate} entries per
 * second (0: as fast as the stream's flow control lets it) for {@code --seconds}. The entries are
 * realistic HTTP requests to a handful of services with varied codes, latencies and callers.
 *
 * <pre>
 * java -cp benchmarks.jar io.tollgate.benchmarks.AlsLoad --port N [--seconds 20] [--rate 0] [--batch 50]
 * </pre>
 *
 * Prints {@code sent=<entries> seconds=<elapsed>} when the server has answered the stream.
 */
public final class AlsLoad {
  private static final String[] SERVICES = {
    "productpage", "reviews", "ratings", "details", "payments"
  };
  private static final int[] CODES = {200, 200, 200, 200, 200, 200, 201, 204, 404, 503};

  private AlsLoad() {}

  public static void main(String[] args) throws Exception {
    int port = -1;
    int seconds = 20;
    int rate = 0;
    int batch = 50;
    for (int i = 0; i + 1 < args.length; i += 2) {
      int v = Integer.parseInt(args[i + 1]);
      switch (args[i]) {
        case "--port" -> port = v;
        case "--seconds" -> seconds = v;
        case "--rate" -> rate = v;
        case "--batch" -> batch = v;
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (port < 0) {
      throw new IllegalArgumentException(
          "usage: AlsLoad --port N [--seconds S] [--rate R] [--batch B]");
    }
    List<StreamAccessLogsMessage> messages = new ArrayList<>();
    for (int m = 0; m < 200; m++) {
      StreamAccessLogsMessage.HTTPAccessLogEntries.Builder entries =
          StreamAccessLogsMessage.HTTPAccessLogEntries.newBuilder();
      for (int e = 0; e < batch; e++) {
        entries.addLogEntry(entry(m * batch + e));
      }
      messages.add(StreamAccessLogsMessage.newBuilder().setHttpLogs(entries).build());
    }
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    CompletableFuture<Void> done = new CompletableFuture<>();
    long[] sent = {0};
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    int perMessage = batch;
    int target = rate;
    AccessLogServiceGrpc.newStub(ch)
        .streamAccessLogs(
            new ClientResponseObserver<StreamAccessLogsMessage, StreamAccessLogsResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<StreamAccessLogsMessage> out) {
                out.setOnReadyHandler(
                    new Runnable() {
                      int next;
                      boolean first = true;

                      @Override
                      public void run() {
                        while (out.isReady()) {
                          long now = System.nanoTime();
                          if (now >= end) {
                            out.onCompleted();
                            return;
                          }
                          if (target > 0) {
                            long due = start + (long) (sent[0] * 1e9 / target);
                            if (due > now) {
                              try {
                                TimeUnit.NANOSECONDS.sleep(Math.min(due - now, 5_000_000));
                              } catch (InterruptedException e) {
                                out.onError(e);
                                return;
                              }
                              continue;
                            }
                          }
                          StreamAccessLogsMessage m = messages.get(next++ % messages.size());
                          if (first) {
                            m =
                                m.toBuilder()
                                    .setIdentifier(
                                        StreamAccessLogsMessage.Identifier.newBuilder()
                                            .setNode(
                                                Node.newBuilder()
                                                    .setId(
                                                        "sidecar~10.1.9.9~load.bench~bench.svc.cluster.local"))
                                            .setLogName("tollgate"))
                                    .build();
                            first = false;
                          }
                          out.onNext(m);
                          sent[0] += perMessage;
                        }
                      }
                    });
              }

              @Override
              public void onNext(StreamAccessLogsResponse r) {}

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(null);
              }
            });
    done.get(seconds + 60L, TimeUnit.SECONDS);
    System.out.printf("sent=%d seconds=%.2f%n", sent[0], (System.nanoTime() - start) / 1e9);
    ch.shutdownNow();
  }

  static HTTPAccessLogEntry entry(int i) {
    String service = SERVICES[i % SERVICES.length];
    int code = CODES[(i / 7) % CODES.length];
    int millis = 2 + (i * 37) % 250;
    AccessLogCommon.Builder c =
        AccessLogCommon.newBuilder()
            .setDownstreamRemoteAddress(
                Address.newBuilder()
                    .setSocketAddress(
                        SocketAddress.newBuilder()
                            .setAddress("10.1." + (i % 7) + "." + (i % 250))
                            .setPortValue(40000 + i % 20000)))
            .setDownstreamLocalAddress(
                Address.newBuilder()
                    .setSocketAddress(
                        SocketAddress.newBuilder().setAddress("10.2.0.9").setPortValue(9080)))
            .setStartTime(
                Timestamp.newBuilder()
                    .setSeconds(1_795_000_000L + i / 1000)
                    .setNanos((i % 1000) * 1_000_000))
            .setTimeToLastDownstreamTxByte(
                com.google.protobuf.Duration.newBuilder().setNanos(millis * 1_000_000))
            .setUpstreamCluster("outbound|9080||" + service + ".bench.svc.cluster.local");
    if (i % 3 != 0) {
      c.setTlsProperties(
          TLSProperties.newBuilder()
              .setPeerCertificateProperties(
                  TLSProperties.CertificateProperties.newBuilder()
                      .addSubjectAltName(
                          TLSProperties.CertificateProperties.SubjectAltName.newBuilder()
                              .setUri(
                                  "spiffe://cluster.local/ns/bench/sa/"
                                      + SERVICES[(i + 1) % SERVICES.length]))));
    }
    return HTTPAccessLogEntry.newBuilder()
        .setCommonProperties(c)
        .setProtocolVersion(HTTPAccessLogEntry.HTTPVersion.HTTP2)
        .setRequest(
            HTTPRequestProperties.newBuilder()
                .setRequestMethod(i % 5 == 0 ? RequestMethod.POST : RequestMethod.GET)
                .setScheme("http")
                .setAuthority(service + ":9080")
                .setPath("/" + service + "/" + (i % 100) + (i % 11 == 0 ? "?page=" + i % 5 : ""))
                .setUserAgent("Mozilla/5.0 (X11; Linux x86_64)")
                .setRequestId("req-" + i)
                .setRequestHeadersBytes(400 + i % 200)
                .setRequestBodyBytes(i % 5 == 0 ? 512 : 0))
        .setResponse(
            HTTPResponseProperties.newBuilder()
                .setResponseCode(UInt32Value.of(code))
                .setResponseBodyBytes(1000 + i % 4000)
                .setResponseHeadersBytes(200)
                .putResponseHeaders("content-type", "application/json"))
        .build();
  }
}
