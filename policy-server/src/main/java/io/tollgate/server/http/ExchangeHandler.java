package io.tollgate.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.tollgate.common.lifecycle.FatalErrors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ExchangeHandler} turns the decoded parts of each request into one {@link HttpCall}, runs
 * the {@link HttpHandler} on its pool and writes the {@link HttpReply}. A request over a size limit
 * or malformed is answered here and its connection closed. A connection has one request handled at
 * a time: while its handler runs, reading stops (auto-read off) and what was already decoded of a
 * pipelined next request waits in {@link #pending}; so answers keep their order and a client cannot
 * queue more than one request per connection. Event-loop confined except {@link #respond}, which
 * runs on the handler's pool; one per connection.
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(HttpEndpoint.class);

  private final String endpoint;
  private final HttpLimits limits;
  private final HttpHandler handler;
  private final HttpEndpointMetrics metrics;
  private final RequestTimer timer;
  private final ArrayDeque<Object> pending = new ArrayDeque<>();
  private HttpRequest head;
  private long bodyBytes;
  private boolean busy;

  ExchangeHandler(
      String endpoint,
      HttpLimits limits,
      HttpHandler handler,
      HttpEndpointMetrics metrics,
      RequestTimer timer) {
    this.endpoint = endpoint;
    this.limits = limits;
    this.handler = handler;
    this.metrics = metrics;
    this.timer = timer;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (busy) {
      pending.add(msg);
      return;
    }
    take(ctx, msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Object m;
    while ((m = pending.poll()) != null) {
      ReferenceCountUtil.release(m);
    }
    ctx.fireChannelInactive();
  }

  /** Takes one decoded part of a request. */
  private void take(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof HttpRequest r && !begin(ctx, r)) {
        return;
      }
      if (msg instanceof HttpContent c && head != null) {
        if (c.decoderResult().isFailure()) {
          reject(ctx, 400, "malformed", "malformed HTTP request body\n");
          return;
        }
        bodyBytes += c.content().readableBytes();
        if (bodyBytes > limits.maxBody()) {
          reject(ctx, 413, "body", "request body larger than " + limits.maxBody() + " bytes\n");
          return;
        }
        if (c instanceof LastHttpContent) {
          HttpRequest r = head;
          head = null;
          busy = true;
          ctx.channel().config().setAutoRead(false);
          timer.requestRead();
          dispatch(ctx, r);
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /** A request's line and headers are in; false when it was refused. */
  private boolean begin(ChannelHandlerContext ctx, HttpRequest r) {
    if (r.decoderResult().isFailure()) {
      Throwable cause = r.decoderResult().cause();
      if (cause instanceof TooLongHttpLineException) {
        reject(
            ctx, 414, "line", "request line longer than " + limits.maxInitialLine() + " bytes\n");
      } else if (cause instanceof TooLongHttpHeaderException) {
        reject(
            ctx,
            431,
            "headers",
            "request headers larger than " + limits.maxHeaderSize() + " bytes\n");
      } else {
        log.debug(
            "{}: malformed HTTP request from {}", endpoint, ctx.channel().remoteAddress(), cause);
        reject(ctx, 400, "malformed", "malformed HTTP request\n");
      }
      return false;
    }
    if (HttpUtil.getContentLength(r, 0L) > limits.maxBody()) {
      reject(ctx, 413, "body", "request body larger than " + limits.maxBody() + " bytes\n");
      return false;
    }
    if (HttpUtil.is100ContinueExpected(r)) {
      ctx.writeAndFlush(
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
    head = r;
    bodyBytes = 0;
    return true;
  }

  private void dispatch(ChannelHandlerContext ctx, HttpRequest r) {
    HttpCall call = new HttpCall(r, (InetSocketAddress) ctx.channel().remoteAddress());
    boolean keepAlive = HttpUtil.isKeepAlive(r);
    boolean http10 = r.protocolVersion().equals(HttpVersion.HTTP_1_0);
    try {
      Executor executor = handler.executor(call);
      executor.execute(() -> respond(ctx, call, keepAlive, http10));
    } catch (RejectedExecutionException e) {
      metrics.rejected(endpoint, "overloaded");
      send(ctx, HttpReply.text(503, "overloaded; try again\n"), false, http10);
    }
  }

  /** Runs the handler (on its pool) and sends its answer. */
  private void respond(
      ChannelHandlerContext ctx, HttpCall call, boolean keepAlive, boolean http10) {
    HttpReply reply;
    try {
      reply = handler.handle(call);
    } catch (Throwable e) {
      FatalErrors.reportIfFatal(endpoint + " request", e);
      String path = call.rawPath();
      String what =
          endpoint
              + " "
              + call.method()
              + " "
              + (path.length() > 200 ? path.substring(0, 200) + "..." : path);
      reply = HttpReply.text(500, InternalErrors.log(log, what, e) + "\n");
    }
    send(ctx, reply, keepAlive, http10);
  }

  private void reject(ChannelHandlerContext ctx, int status, String reason, String text) {
    metrics.rejected(endpoint, reason);
    head = null;
    busy = true;
    ctx.channel().config().setAutoRead(false);
    send(ctx, HttpReply.text(status, text), false, false);
  }

  /**
   * Writes {@code reply}; from any thread (Netty hands a write from elsewhere to the event loop).
   * Then goes on with the next request, or closes.
   */
  private void send(ChannelHandlerContext ctx, HttpReply reply, boolean keepAlive, boolean http10) {
    byte[] body = reply.bodyBytes();
    FullHttpResponse res =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(reply.statusCode()),
            Unpooled.wrappedBuffer(body),
            reply.headers(),
            EmptyHttpHeaders.INSTANCE);
    HttpUtil.setContentLength(res, body.length);
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (http10) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    ctx.writeAndFlush(res)
        .addListener(
            f -> {
              if (keepAlive && f.isSuccess()) {
                next(ctx);
              } else {
                ctx.close();
              }
            });
  }

  /** The answer is out: takes what waits of the next request, then reads on. */
  private void next(ChannelHandlerContext ctx) {
    busy = false;
    timer.responseSent();
    Object m;
    while (!busy && (m = pending.poll()) != null) {
      take(ctx, m);
    }
    if (!busy) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof IOException)) {
      log.debug("{}: connection from {} failed", endpoint, ctx.channel().remoteAddress(), cause);
    }
    FatalErrors.reportIfFatal(endpoint + " connection", cause);
    ctx.close();
  }
}
