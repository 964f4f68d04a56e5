package io.tollgate.server;

import io.tollgate.server.http.HttpLimits;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code ServerConfig} is everything a policy server is started with. Ports of 0 pick a free port
 * (the server reports the one it got). Build with {@link #builder()} (or {@link #toBuilder()}), or
 * with {@link #defaults()} and the {@code with} methods.
 *
 * @param bind the address every listener binds to (127.0.0.1 unless told otherwise)
 * @param grpcPort gRPC: ext_authz, health, reflection
 * @param httpPort HTTP check endpoint (Envoy HTTP service, nginx auth_request); -1 disables it
 * @param adminPort admin HTTP: health, readiness, metrics, config
 * @param policyDir the policy directory; {@code null} serves the bundled example
 * @param pluginsDir adapter plugin jars; {@code null} for none
 * @param reloadInterval how often inputs are polled for changes; zero disables watching
 * @param handlerTimeout default deadline for handlers that block
 * @param revealRule whether denials name the rule, handler and policy version (off by default:
 *     names are for the logs, not for clients)
 * @param decisionLog which decisions get a JSON log line
 * @param decisionLogSample the fraction of those that are logged
 * @param httpPathPrefix the prefix Envoy's HTTP-service ext_authz puts before the path
 * @param trustForwardedFor whether the HTTP check endpoint takes {@code source.ip} from
 *     X-Forwarded-For (only when the caller is a proxy that sets it)
 * @param workerThreads threads deciding gRPC calls (the gRPC application executor)
 * @param adminToken bearer token for admin actions (POST /reload); empty disables them
 * @param opaUrl the OPA server Rego policies use; {@code null} runs {@code opa} from the PATH
 * @param opaBinary the {@code opa} program to run when no URL is given; {@code null} searches
 * @param opaAllowedBuiltins builtins that reach outside OPA which Rego may use all the same in the
 *     supervised OPA ({@link io.tollgate.rules.rego.RegoEngine#LEFT_OUT_BUILTINS}); none by default
 * @param regoTimeout default deadline of Rego handlers
 * @param quota how the server reaches the quota cluster and answers rate-limit calls
 * @param reportQueue how many access-log entries may wait for the report rules; more are dropped
 * @param reportThreads report workers running the report rules
 * @param warmUp how each policy version is warmed up before it serves
 * @param failClosedMatches the default {@code matchFailurePolicy} of rules: whether a rule that can
 *     deny and whose {@code match} fails to evaluate counts as matched (closed)
 * @param httpLimits the HTTP check port's limits and the size of its own pool; {@code null}: {@link
 *     HttpLimits#checkDefaults} with {@code workerThreads} threads
 * @param adminLimits the admin port's limits; {@code null}: {@link HttpLimits#adminDefaults}
 */
public record ServerConfig(
    String bind,
    int grpcPort,
    int httpPort,
    int adminPort,
    Path policyDir,
    Path pluginsDir,
    Duration reloadInterval,
    Duration handlerTimeout,
    boolean revealRule,
    DecisionLog.Mode decisionLog,
    double decisionLogSample,
    String httpPathPrefix,
    boolean trustForwardedFor,
    int workerThreads,
    String adminToken,
    String opaUrl,
    Path opaBinary,
    java.util.Set<String> opaAllowedBuiltins,
    Duration regoTimeout,
    Quota quota,
    int reportQueue,
    int reportThreads,
    WarmUp warmUp,
    boolean failClosedMatches,
    HttpLimits httpLimits,
    HttpLimits adminLimits) {

  public static final int DEFAULT_GRPC_PORT = 9091;
  public static final int DEFAULT_HTTP_PORT = 9092;
  public static final int DEFAULT_ADMIN_PORT = 15014;
  public static final int DEFAULT_QUOTA_PORT = 5701;
  public static final int DEFAULT_REPORT_QUEUE = 10_000;

  public ServerConfig {
    if (bind == null || bind.isBlank()) {
      throw new IllegalArgumentException("bind address must not be empty");
    }
    port("grpc", grpcPort, false);
    port("http", httpPort, true);
    port("admin", adminPort, false);
    if (reloadInterval.isNegative()) {
      throw new IllegalArgumentException("reload interval must not be negative");
    }
    if (handlerTimeout.isNegative() || handlerTimeout.isZero()) {
      throw new IllegalArgumentException("handler timeout must be positive");
    }
    if (decisionLogSample < 0 || decisionLogSample > 1) {
      throw new IllegalArgumentException(
          "decision log sample must be within 0..1, not " + decisionLogSample);
    }
    if (workerThreads < 1) {
      throw new IllegalArgumentException("worker threads must be at least 1");
    }
    httpPathPrefix = httpPathPrefix == null ? "" : httpPathPrefix;
    if (!httpPathPrefix.isEmpty() && !httpPathPrefix.startsWith("/")) {
      throw new IllegalArgumentException("http path prefix must start with /: " + httpPathPrefix);
    }
    adminToken = adminToken == null ? "" : adminToken;
    opaUrl = opaUrl == null || opaUrl.isBlank() ? null : opaUrl;
    if (opaUrl != null && !opaUrl.startsWith("http://") && !opaUrl.startsWith("https://")) {
      throw new IllegalArgumentException("OPA URL must start with http:// or https://: " + opaUrl);
    }
    opaAllowedBuiltins =
        opaAllowedBuiltins == null ? java.util.Set.of() : java.util.Set.copyOf(opaAllowedBuiltins);
    if (!io.tollgate.rules.rego.RegoEngine.LEFT_OUT_BUILTINS.containsAll(opaAllowedBuiltins)) {
      throw new IllegalArgumentException(
          "--opa-allow-builtin names a builtin Tollgate does not leave out: "
              + opaAllowedBuiltins
              + "; those are "
              + new java.util.TreeSet<>(io.tollgate.rules.rego.RegoEngine.LEFT_OUT_BUILTINS));
    }
    regoTimeout = regoTimeout == null ? Duration.ofMillis(5) : regoTimeout;
    quota = quota == null ? Quota.defaults() : quota;
    if (reportQueue < 1 || reportThreads < 1) {
      throw new IllegalArgumentException("report queue and report threads must be at least 1");
    }
    warmUp = warmUp == null ? WarmUp.defaults() : warmUp;
    httpLimits = httpLimits == null ? HttpLimits.checkDefaults(workerThreads) : httpLimits;
    adminLimits = adminLimits == null ? HttpLimits.adminDefaults() : adminLimits;
  }

  /**
   * How a policy version is warmed up before it serves: the server sends itself rounds of warm-up
   * traffic (an ext_authz check over gRPC, an HTTP check and a rate-limit call each) through its
   * own listeners, until it has sent {@code rounds} or {@code time} is up.
   *
   * @param time the most one warm-up may take; zero turns warming up off
   * @param rounds how many rounds a warm-up sends at most
   */
  public record WarmUp(Duration time, int rounds) {
    /**
     * Rounds a fresh JVM on two cores does not reach in {@link #DEFAULT_TIME}, so there the time
     * ends the first warm-up; a JVM that is already warm (a reload) gets through them in a second
     * or two. See the README.
     */
    public static final int DEFAULT_ROUNDS = 3000;

    /** The time after which a fresh JVM's first 100 checks through Envoy have a p99 near 10 ms. */
    public static final Duration DEFAULT_TIME = Duration.ofSeconds(10);

    public WarmUp {
      if (time == null || time.isNegative()) {
        throw new IllegalArgumentException("warm-up time must not be negative");
      }
      if (rounds < 0) {
        throw new IllegalArgumentException("warm-up rounds must not be negative, not " + rounds);
      }
    }

    public static WarmUp defaults() {
      return new WarmUp(DEFAULT_TIME, DEFAULT_ROUNDS);
    }

    /** A short one for tests, whose JVM is warm after its first server: 500 rounds or 2 s. */
    public static WarmUp quick() {
      return new WarmUp(Duration.ofSeconds(2), 500);
    }

    /** Whether a warm-up sends anything. */
    public boolean on() {
      return !time.isZero() && rounds > 0;
    }
  }

  /**
   * How the server reaches the quota cluster, started when a policy has rate limits or quota
   * handlers.
   *
   * @param clusterName members (and clients) with the same name form one cluster
   * @param port the first port the embedded member (Hazelcast) tries
   * @param members addresses ({@code host[:port]}) of the other members, or of the quota nodes in
   *     client mode; empty: this member alone
   * @param kubernetesServiceDns instead of {@code members}: a headless Kubernetes service whose
   *     addresses are the members (or quota nodes); {@code null} for none
   * @param client whether to connect as a client of dedicated {@code tollgate quota-node} processes
   *     instead of being a member
   * @param timeout how long one quota decision may take in the cluster
   * @param failureDeny whether a rate-limit decision the cluster could not make is OVER_LIMIT
   *     (true) or OK (false, the default, like Envoy's failure_mode_deny: false); a domain's config
   *     may say otherwise
   * @param responseHeaders whether rate-limit answers carry RateLimit-Limit, -Remaining and -Reset
   *     headers for Envoy to add to the response
   */
  public record Quota(
      String clusterName,
      int port,
      java.util.List<String> members,
      String kubernetesServiceDns,
      boolean client,
      Duration timeout,
      boolean failureDeny,
      boolean responseHeaders) {
    public Quota {
      if (clusterName == null || clusterName.isBlank()) {
        throw new IllegalArgumentException("quota cluster name must not be empty");
      }
      ServerConfig.port("quota", port, false);
      members = members == null ? java.util.List.of() : java.util.List.copyOf(members);
      kubernetesServiceDns =
          kubernetesServiceDns == null || kubernetesServiceDns.isBlank()
              ? null
              : kubernetesServiceDns;
      if (kubernetesServiceDns != null && !members.isEmpty()) {
        throw new IllegalArgumentException(
            "give either --quota-members or --quota-kubernetes-dns, not both");
      }
      if (client && members.isEmpty() && kubernetesServiceDns == null) {
        throw new IllegalArgumentException(
            "quota client mode needs --quota-members (or --quota-kubernetes-dns): where the quota nodes are");
      }
      timeout = timeout == null ? Duration.ofMillis(500) : timeout;
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("quota timeout must be positive");
      }
    }

    public static Quota defaults() {
      return new Quota(
          "tollgate",
          DEFAULT_QUOTA_PORT,
          java.util.List.of(),
          null,
          false,
          Duration.ofMillis(500),
          false,
          false);
    }

    public Quota withMembers(int firstPort, java.util.List<String> others) {
      return new Quota(
          clusterName,
          firstPort,
          others,
          kubernetesServiceDns,
          client,
          timeout,
          failureDeny,
          responseHeaders);
    }
  }

  private static void port(String what, int port, boolean mayDisable) {
    if (port > 65535 || port < (mayDisable ? -1 : 0)) {
      throw new IllegalArgumentException(
          what
              + " port must be within 0..65535"
              + (mayDisable ? " (or -1 for off)" : "")
              + ", not "
              + port);
    }
  }

  /**
   * Threads deciding gRPC calls, and HTTP checks, unless told otherwise: twice the CPUs, at least
   * 4.
   */
  public static int defaultWorkerThreads() {
    return Math.max(4, Runtime.getRuntime().availableProcessors() * 2);
  }

  /** The embedded defaults: loopback, the standard ports, the bundled policy. */
  public static ServerConfig defaults() {
    return builder().build();
  }

  /**
   * The defaults on free ports, for tests (the quota member too: it tries ports from a random one),
   * with a {@linkplain WarmUp#quick() quick warm-up}.
   */
  public static ServerConfig ephemeral() {
    return defaults()
        .withPorts(0, 0, 0)
        .withQuota(20000 + new java.util.Random().nextInt(20000), java.util.List.of())
        .withWarmUp(WarmUp.quick());
  }

  /** A builder holding the {@linkplain #defaults() defaults}. */
  public static ServerConfigBuilder builder() {
    return new ServerConfigBuilder();
  }

  /** A builder holding this config's values. */
  public ServerConfigBuilder toBuilder() {
    return new ServerConfigBuilder(this);
  }

  public ServerConfig withPorts(int grpc, int http, int admin) {
    return toBuilder().grpcPort(grpc).httpPort(http).adminPort(admin).build();
  }

  public ServerConfig withPolicy(Path policy, Path plugins) {
    return toBuilder().policyDir(policy).pluginsDir(plugins).build();
  }

  public ServerConfig withReloadInterval(Duration interval) {
    return toBuilder().reloadInterval(interval).build();
  }

  public ServerConfig withDecisionLog(DecisionLog.Mode mode, double sample) {
    return toBuilder().decisionLog(mode).decisionLogSample(sample).build();
  }

  public ServerConfig withOpa(String url, Path binary, Duration timeout) {
    return toBuilder().opaUrl(url).opaBinary(binary).regoTimeout(timeout).build();
  }

  public ServerConfig withQuota(int port, java.util.List<String> members) {
    return withQuota(quota.withMembers(port, members));
  }

  public ServerConfig withQuota(Quota q) {
    return toBuilder().quota(q).build();
  }

  public ServerConfig withReportQueue(int capacity, int threads) {
    return toBuilder().reportQueue(capacity).reportThreads(threads).build();
  }

  public ServerConfig withWarmUp(WarmUp w) {
    return toBuilder().warmUp(w).build();
  }

  public ServerConfig withAdminToken(String token) {
    return toBuilder().adminToken(token).build();
  }

  public ServerConfig withHttpPathPrefix(String prefix) {
    return toBuilder().httpPathPrefix(prefix).build();
  }
}
