package io.tollgate.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * {@code RequestTimer} closes a connection that is too slow: a request must arrive in full within
 * {@link HttpLimits#requestTimeout} of its first byte (for a new connection, of its opening), and a
 * kept-alive connection may wait {@link HttpLimits#idleTimeout} for its next request. It sits first
 * in the pipeline, before the HTTP decoder, so it sees the first byte of a request and can write a
 * raw 408. {@link ExchangeHandler} tells it when a request is in and when its answer is out; while
 * a handler runs no timer does, the handler's own deadlines apply. Event-loop confined, one per
 * connection.
 */
final class RequestTimer extends ChannelInboundHandlerAdapter {
  private static final String TIMED_OUT_BODY = "the request did not arrive in time\n";
  private static final byte[] TIMED_OUT =
      ("HTTP/1.1 408 Request Timeout\r\n"
              + "content-type: text/plain; charset=utf-8\r\n"
              + "content-length: "
              + TIMED_OUT_BODY.length()
              + "\r\nconnection: close\r\n\r\n"
              + TIMED_OUT_BODY)
          .getBytes(StandardCharsets.US_ASCII);

  private enum State {
    /** A request is on its way (or, on a new connection, expected): the request timer runs. */
    READING,
    /** A request is in and its handler runs: no timer. */
    HANDLING,
    /** Kept alive between requests: the idle timer runs. */
    IDLE
  }

  private final String endpoint;
  private final HttpLimits limits;
  private final HttpEndpointMetrics metrics;
  private ChannelHandlerContext ctx;
  private State state = State.READING;
  private boolean bytesSeen;
  private ScheduledFuture<?> timer;

  RequestTimer(String endpoint, HttpLimits limits, HttpEndpointMetrics metrics) {
    this.endpoint = endpoint;
    this.limits = limits;
    this.metrics = metrics;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    startReading();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (state == State.IDLE) {
      startReading();
    }
    bytesSeen = true;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancel();
    ctx.fireChannelInactive();
  }

  /** The request is in full; its handler runs now. */
  void requestRead() {
    cancel();
    state = State.HANDLING;
  }

  /** The answer is written and the connection kept alive: wait for the next request. */
  void responseSent() {
    cancel();
    state = State.IDLE;
    bytesSeen = false;
    timer =
        ctx.executor()
            .schedule(this::idleTimedOut, nanos(limits.idleTimeout()), TimeUnit.NANOSECONDS);
  }

  private void startReading() {
    cancel();
    state = State.READING;
    timer =
        ctx.executor()
            .schedule(this::requestTimedOut, nanos(limits.requestTimeout()), TimeUnit.NANOSECONDS);
  }

  private void requestTimedOut() {
    if (state != State.READING || !ctx.channel().isActive()) {
      return;
    }
    metrics.timedOut(endpoint, "request");
    if (bytesSeen) {
      // Written from here, before the decoder, as raw bytes: the decoder is mid-request.
      ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMED_OUT)).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  private void idleTimedOut() {
    if (state == State.IDLE && ctx.channel().isActive()) {
      metrics.timedOut(endpoint, "idle");
      ctx.close();
    }
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private static long nanos(java.time.Duration d) {
    return d.toNanos();
  }
}
