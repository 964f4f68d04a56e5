package io.tollgate.server;

import io.tollgate.server.http.HttpLimits;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code ServerConfigBuilder} builds a {@link ServerConfig} one component at a time. A new builder
 * holds the {@linkplain ServerConfig#defaults() defaults}; {@link ServerConfig#toBuilder()} starts
 * from a given config. {@link #build()} checks the values as the record's constructor does. Not
 * thread-safe.
 */
public final class ServerConfigBuilder {
  private String bind = "127.0.0.1";
  private int grpcPort = ServerConfig.DEFAULT_GRPC_PORT;
  private int httpPort = ServerConfig.DEFAULT_HTTP_PORT;
  private int adminPort = ServerConfig.DEFAULT_ADMIN_PORT;
  private Path policyDir;
  private Path pluginsDir;
  private Duration reloadInterval = Duration.ofSeconds(1);
  private Duration handlerTimeout = Duration.ofMillis(100);
  private boolean revealRule;
  private DecisionLog.Mode decisionLog = DecisionLog.Mode.DENY;
  private double decisionLogSample = 1.0;
  private String httpPathPrefix = "";
  private boolean trustForwardedFor;
  private int workerThreads = ServerConfig.defaultWorkerThreads();
  private String adminToken = "";
  private String opaUrl;
  private Path opaBinary;
  private java.util.Set<String> opaAllowedBuiltins = java.util.Set.of();
  private Duration regoTimeout = Duration.ofMillis(5);
  private ServerConfig.Quota quota = ServerConfig.Quota.defaults();
  private int reportQueue = ServerConfig.DEFAULT_REPORT_QUEUE;
  private int reportThreads = 2;
  private ServerConfig.WarmUp warmUp = ServerConfig.WarmUp.defaults();
  private boolean failClosedMatches = true;
  private HttpLimits httpLimits;
  private HttpLimits adminLimits;

  /** A builder holding the defaults. */
  ServerConfigBuilder() {}

  /** A builder holding {@code from}'s values. */
  ServerConfigBuilder(ServerConfig from) {
    bind = from.bind();
    grpcPort = from.grpcPort();
    httpPort = from.httpPort();
    adminPort = from.adminPort();
    policyDir = from.policyDir();
    pluginsDir = from.pluginsDir();
    reloadInterval = from.reloadInterval();
    handlerTimeout = from.handlerTimeout();
    revealRule = from.revealRule();
    decisionLog = from.decisionLog();
    decisionLogSample = from.decisionLogSample();
    httpPathPrefix = from.httpPathPrefix();
    trustForwardedFor = from.trustForwardedFor();
    workerThreads = from.workerThreads();
    adminToken = from.adminToken();
    opaUrl = from.opaUrl();
    opaBinary = from.opaBinary();
    opaAllowedBuiltins = from.opaAllowedBuiltins();
    regoTimeout = from.regoTimeout();
    quota = from.quota();
    reportQueue = from.reportQueue();
    reportThreads = from.reportThreads();
    warmUp = from.warmUp();
    failClosedMatches = from.failClosedMatches();
    httpLimits = from.httpLimits();
    adminLimits = from.adminLimits();
  }

  /**
   * The config of these values.
   *
   * @throws IllegalArgumentException if one is out of range, as {@link ServerConfig}'s constructor
   */
  public ServerConfig build() {
    return new ServerConfig(
        bind,
        grpcPort,
        httpPort,
        adminPort,
        policyDir,
        pluginsDir,
        reloadInterval,
        handlerTimeout,
        revealRule,
        decisionLog,
        decisionLogSample,
        httpPathPrefix,
        trustForwardedFor,
        workerThreads,
        adminToken,
        opaUrl,
        opaBinary,
        opaAllowedBuiltins,
        regoTimeout,
        quota,
        reportQueue,
        reportThreads,
        warmUp,
        failClosedMatches,
        httpLimits,
        adminLimits);
  }

  public ServerConfigBuilder bind(String bind) {
    this.bind = bind;
    return this;
  }

  public ServerConfigBuilder grpcPort(int grpcPort) {
    this.grpcPort = grpcPort;
    return this;
  }

  public ServerConfigBuilder httpPort(int httpPort) {
    this.httpPort = httpPort;
    return this;
  }

  public ServerConfigBuilder adminPort(int adminPort) {
    this.adminPort = adminPort;
    return this;
  }

  public ServerConfigBuilder policyDir(Path policyDir) {
    this.policyDir = policyDir;
    return this;
  }

  public ServerConfigBuilder pluginsDir(Path pluginsDir) {
    this.pluginsDir = pluginsDir;
    return this;
  }

  public ServerConfigBuilder reloadInterval(Duration reloadInterval) {
    this.reloadInterval = reloadInterval;
    return this;
  }

  public ServerConfigBuilder handlerTimeout(Duration handlerTimeout) {
    this.handlerTimeout = handlerTimeout;
    return this;
  }

  public ServerConfigBuilder revealRule(boolean revealRule) {
    this.revealRule = revealRule;
    return this;
  }

  public ServerConfigBuilder decisionLog(DecisionLog.Mode decisionLog) {
    this.decisionLog = decisionLog;
    return this;
  }

  public ServerConfigBuilder decisionLogSample(double decisionLogSample) {
    this.decisionLogSample = decisionLogSample;
    return this;
  }

  public ServerConfigBuilder httpPathPrefix(String httpPathPrefix) {
    this.httpPathPrefix = httpPathPrefix;
    return this;
  }

  public ServerConfigBuilder trustForwardedFor(boolean trustForwardedFor) {
    this.trustForwardedFor = trustForwardedFor;
    return this;
  }

  public ServerConfigBuilder workerThreads(int workerThreads) {
    this.workerThreads = workerThreads;
    return this;
  }

  public ServerConfigBuilder adminToken(String adminToken) {
    this.adminToken = adminToken;
    return this;
  }

  public ServerConfigBuilder opaUrl(String opaUrl) {
    this.opaUrl = opaUrl;
    return this;
  }

  public ServerConfigBuilder opaBinary(Path opaBinary) {
    this.opaBinary = opaBinary;
    return this;
  }

  public ServerConfigBuilder opaAllowedBuiltins(java.util.Set<String> opaAllowedBuiltins) {
    this.opaAllowedBuiltins = opaAllowedBuiltins;
    return this;
  }

  public ServerConfigBuilder regoTimeout(Duration regoTimeout) {
    this.regoTimeout = regoTimeout;
    return this;
  }

  public ServerConfigBuilder quota(ServerConfig.Quota quota) {
    this.quota = quota;
    return this;
  }

  public ServerConfigBuilder reportQueue(int reportQueue) {
    this.reportQueue = reportQueue;
    return this;
  }

  public ServerConfigBuilder reportThreads(int reportThreads) {
    this.reportThreads = reportThreads;
    return this;
  }

  /** The default {@code matchFailurePolicy} of rules: closed ({@code true}) or open. */
  public ServerConfigBuilder failClosedMatches(boolean closed) {
    this.failClosedMatches = closed;
    return this;
  }

  public ServerConfigBuilder warmUp(ServerConfig.WarmUp warmUp) {
    this.warmUp = warmUp;
    return this;
  }

  /** The HTTP check port's limits and pool; {@code null}: the defaults for the worker threads. */
  public ServerConfigBuilder httpLimits(HttpLimits httpLimits) {
    this.httpLimits = httpLimits;
    return this;
  }

  /** The admin port's limits; {@code null}: the defaults. */
  public ServerConfigBuilder adminLimits(HttpLimits adminLimits) {
    this.adminLimits = adminLimits;
    return this;
  }
}
