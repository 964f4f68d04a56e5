package io.tollgate.rules;

import io.tollgate.adapter.spi.Quotas;
import io.tollgate.rules.rego.RegoEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * {@code RuntimeOptions} say what a {@link PolicyRuntime} loads and how it calls handlers.
 *
 * @param policyDir the policy directory
 * @param pluginsDir a directory of adapter plugin jars, or {@code null} for none
 * @param blockingTimeout the default deadline for handlers that block
 * @param opa how to reach OPA for Rego policies
 * @param regoTimeout the default deadline for Rego handlers
 * @param regoObserver hears of every OPA query, for metrics
 * @param rateLimits compiles the policy's rate-limit config files; {@code null} when this runtime
 *     serves no rate limits (such files are then an error)
 * @param quotas the shared quotas handed to handlers of the {@code quota} template; {@link
 *     Quotas#NONE} when this runtime has none
 * @param services objects offered to built-in adapters by type (see {@link
 *     io.tollgate.adapter.spi.HandlerSpec#service})
 * @param settle how long changed inputs must hold still before they are compiled
 * @param failClosedMatches the default of a rule's {@code matchFailurePolicy}: whether a rule that
 *     can deny and whose {@code match} fails to evaluate counts as matched (closed, the default),
 *     or does not match (open)
 */
public record RuntimeOptions(
    Path policyDir,
    Path pluginsDir,
    Duration blockingTimeout,
    RegoEngine.Settings opa,
    Duration regoTimeout,
    RegoEngine.Observer regoObserver,
    RateLimitCompiler<?> rateLimits,
    Quotas quotas,
    Map<Class<?>, Object> services,
    Duration settle,
    boolean failClosedMatches) {
  /** The default deadline of a Rego handler: OPA on the same host answers in well under 1 ms. */
  public static final Duration DEFAULT_REGO_TIMEOUT = Duration.ofMillis(5);

  /**
   * The default settle interval: longer than the pauses of an editor or {@code kubectl cp} writing
   * a file, short enough that an edit serves within a second.
   */
  public static final Duration DEFAULT_SETTLE = Duration.ofMillis(300);

  public RuntimeOptions {
    Objects.requireNonNull(policyDir, "policyDir");
    policyDir = policyDir.toAbsolutePath().normalize();
    pluginsDir = pluginsDir == null ? null : pluginsDir.toAbsolutePath().normalize();
    blockingTimeout = blockingTimeout == null ? Duration.ofMillis(100) : blockingTimeout;
    opa = opa == null ? RegoEngine.Settings.defaults() : opa;
    regoTimeout = regoTimeout == null ? DEFAULT_REGO_TIMEOUT : regoTimeout;
    regoObserver = regoObserver == null ? RegoEngine.Observer.NONE : regoObserver;
    quotas = quotas == null ? Quotas.NONE : quotas;
    services = services == null ? Map.of() : Map.copyOf(services);
    settle = settle == null ? DEFAULT_SETTLE : settle;
    if (settle.isNegative()) {
      throw new IllegalArgumentException("settle must not be negative, not " + settle);
    }
  }

  public RuntimeOptions(Path policyDir, Path pluginsDir, Duration blockingTimeout) {
    this(policyDir, pluginsDir, blockingTimeout, null, null, null, null, null, null, null, true);
  }

  public RuntimeOptions(
      Path policyDir,
      Path pluginsDir,
      Duration blockingTimeout,
      RegoEngine.Settings opa,
      Duration regoTimeout,
      RegoEngine.Observer regoObserver) {
    this(
        policyDir,
        pluginsDir,
        blockingTimeout,
        opa,
        regoTimeout,
        regoObserver,
        null,
        null,
        null,
        null,
        true);
  }

  /** These options with a rate-limit compiler. */
  public RuntimeOptions withRateLimits(RateLimitCompiler<?> compiler) {
    return new RuntimeOptions(
        policyDir,
        pluginsDir,
        blockingTimeout,
        opa,
        regoTimeout,
        regoObserver,
        compiler,
        quotas,
        services,
        settle,
        failClosedMatches);
  }

  /** These options with shared quotas for quota handlers. */
  public RuntimeOptions withQuotas(Quotas q) {
    return new RuntimeOptions(
        policyDir,
        pluginsDir,
        blockingTimeout,
        opa,
        regoTimeout,
        regoObserver,
        rateLimits,
        q,
        services,
        settle,
        failClosedMatches);
  }

  /** These options with services for built-in adapters. */
  public RuntimeOptions withServices(Map<Class<?>, Object> s) {
    return new RuntimeOptions(
        policyDir,
        pluginsDir,
        blockingTimeout,
        opa,
        regoTimeout,
        regoObserver,
        rateLimits,
        quotas,
        s,
        settle,
        failClosedMatches);
  }

  /** These options with another settle interval. */
  public RuntimeOptions withSettle(Duration d) {
    return new RuntimeOptions(
        policyDir,
        pluginsDir,
        blockingTimeout,
        opa,
        regoTimeout,
        regoObserver,
        rateLimits,
        quotas,
        services,
        d,
        failClosedMatches);
  }

  /** These options with another default for rules' {@code matchFailurePolicy}. */
  public RuntimeOptions withFailClosedMatches(boolean closed) {
    return new RuntimeOptions(
        policyDir,
        pluginsDir,
        blockingTimeout,
        opa,
        regoTimeout,
        regoObserver,
        rateLimits,
        quotas,
        services,
        settle,
        closed);
  }

  public static RuntimeOptions of(Path policyDir, Path pluginsDir) {
    return new RuntimeOptions(policyDir, pluginsDir, null);
  }
}
