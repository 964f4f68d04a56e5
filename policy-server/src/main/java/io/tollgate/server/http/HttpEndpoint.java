package io.tollgate.server.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.tollgate.common.lifecycle.DaemonThreads;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code HttpEndpoint} is one HTTP/1.1 port served by Netty: the HTTP check port and every admin
 * port. Connections are read by a small event loop, so a slow or idle connection holds no thread;
 * each request, once read in full, is handed to its {@link HttpHandler} on the pool the handler
 * names. {@link HttpLimits} bound what a client can cost (sizes, timeouts, connections), and what
 * they cut off is counted in {@link HttpEndpointMetrics}.
 *
 * <p>The pipeline of a connection: {@link RequestTimer} (request and idle timeouts) → Netty's HTTP
 * codec (line and header limits) → {@link ExchangeHandler} (body limit, one request at a time, the
 * handler, the answer).
 *
 * <p>gRPC runs on its own shaded copy of the same Netty version; the two do not share threads.
 */
public final class HttpEndpoint implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel server;
  private final AtomicInteger open = new AtomicInteger();

  private HttpEndpoint(
      String name,
      InetSocketAddress address,
      HttpLimits limits,
      int ioThreads,
      HttpHandler handler,
      HttpEndpointMetrics metrics)
      throws IOException {
    group =
        new MultiThreadIoEventLoopGroup(
            ioThreads,
            new DefaultThreadFactory("tollgate-" + name + "-io", true),
            NioIoHandler.newFactory());
    HttpDecoderConfig decoder =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(limits.maxInitialLine())
            .setMaxHeaderSize(limits.maxHeaderSize())
            .setMaxChunkSize(16 * 1024);
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    if (open.incrementAndGet() > limits.maxConnections()) {
                      open.decrementAndGet();
                      metrics.refused(name);
                      ch.close();
                      return;
                    }
                    ch.closeFuture().addListener(f -> open.decrementAndGet());
                    RequestTimer timer = new RequestTimer(name, limits, metrics);
                    ch.pipeline()
                        .addLast(
                            timer,
                            new HttpServerCodec(decoder),
                            new ExchangeHandler(name, limits, handler, metrics, timer));
                  }
                });
    try {
      server = b.bind(address).sync().channel();
    } catch (Exception e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw e instanceof IOException io
          ? io
          : new IOException("could not listen on " + address + ": " + e.getMessage(), e);
    }
    metrics.opened(name, open::get);
  }

  /**
   * Listens on {@code address} until {@link #close}.
   *
   * @param name what the port serves ({@code check}, {@code admin}): its metrics label and thread
   *     names
   * @param ioThreads event-loop threads reading and writing connections (one is plenty for an admin
   *     port; the handler's pool does the work)
   * @throws IOException if the address cannot be bound
   */
  public static HttpEndpoint start(
      String name,
      InetSocketAddress address,
      HttpLimits limits,
      int ioThreads,
      HttpHandler handler,
      HttpEndpointMetrics metrics)
      throws IOException {
    return new HttpEndpoint(name, address, limits, ioThreads, handler, metrics);
  }

  /**
   * A fixed pool of {@code threads} daemon threads named {@code name-1}, ... for an endpoint's
   * handler. Its queue holds {@code queue} requests; a request beyond is answered 503. Each
   * connection has at most one request in flight, so a queue of the endpoint's {@code
   * maxConnections} never refuses.
   */
  public static ExecutorService pool(String name, int threads, int queue) {
    return new ThreadPoolExecutor(
        threads,
        threads,
        0,
        TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(queue),
        DaemonThreads.numbered(name));
  }

  /** The port listened on (the one picked, when asked for 0). */
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Connections open now. */
  public int openConnections() {
    return open.get();
  }

  /** Stops listening and closes every connection, waiting up to a second for answers being sent. */
  @Override
  public void close() {
    server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
  }
}
