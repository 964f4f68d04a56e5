package io.tollgate.server.report;

import io.envoyproxy.envoy.data.accesslog.v3.HTTPAccessLogEntry;
import io.envoyproxy.envoy.service.accesslog.v3.AccessLogServiceGrpc;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsMessage;
import io.envoyproxy.envoy.service.accesslog.v3.StreamAccessLogsResponse;
import io.grpc.stub.StreamObserver;
import io.tollgate.server.envoy.AccessLogMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code AccessLogService} receives Envoy's gRPC access log ({@code
 * envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs}, the HTTP logger {@code
 * envoy.access_loggers.http_grpc}): every HTTP entry becomes attributes and is queued for the
 * report rules. TCP entries are ignored. The stream is answered once Envoy closes it.
 */
public final class AccessLogService extends AccessLogServiceGrpc.AccessLogServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(AccessLogService.class);

  private final ReportQueue queue;

  public AccessLogService(ReportQueue queue) {
    this.queue = queue;
  }

  @Override
  public StreamObserver<StreamAccessLogsMessage> streamAccessLogs(
      StreamObserver<StreamAccessLogsResponse> out) {
    return new StreamObserver<>() {
      @Override
      public void onNext(StreamAccessLogsMessage m) {
        for (HTTPAccessLogEntry e : m.getHttpLogs().getLogEntryList()) {
          try {
            queue.offer(AccessLogMapper.map(e));
          } catch (RuntimeException ex) {
            queue.invalid();
            log.debug("access-log entry not readable: {}", ex.toString());
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        log.debug("access-log stream ended by the client: {}", t.toString());
      }

      @Override
      public void onCompleted() {
        out.onNext(StreamAccessLogsResponse.getDefaultInstance());
        out.onCompleted();
      }
    };
  }
}
