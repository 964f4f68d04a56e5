package io.tollgate.rules;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.Quotas;
import io.tollgate.rules.plugins.AdapterRegistry;
import io.tollgate.rules.plugins.LoadedAdapter;
import io.tollgate.rules.rego.RegoEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PolicyRuntime} serves one policy directory: it holds the active {@link PolicySnapshot},
 * decides requests with it, and replaces it only when a complete new snapshot compiles
 * (compile-all-then-swap). When a reload fails, the previous snapshot keeps serving and the errors
 * are kept for {@link #status()}.
 *
 * <p>With a {@link Warmer}, a version that compiles is warmed up before it is swapped in.
 *
 * <p>Thread-safe. {@link #check} never waits for a reload: a request is decided by whichever
 * snapshot was active when it arrived. Reloads are serialized.
 */
public final class PolicyRuntime implements Decider, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PolicyRuntime.class);

  /**
   * What to load.
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
   */
  public record Options(
      Path policyDir,
      Path pluginsDir,
      Duration blockingTimeout,
      RegoEngine.Settings opa,
      Duration regoTimeout,
      RegoEngine.Observer regoObserver,
      RateLimitCompiler rateLimits,
      Quotas quotas,
      Map<Class<?>, Object> services,
      Duration settle) {
    /** The default deadline of a Rego handler: OPA on the same host answers in well under 1 ms. */
    public static final Duration DEFAULT_REGO_TIMEOUT = Duration.ofMillis(5);

    /**
     * The default settle interval: longer than the pauses of an editor or {@code kubectl cp}
     * writing a file, short enough that an edit serves within a second.
     */
    public static final Duration DEFAULT_SETTLE = Duration.ofMillis(300);

    public Options {
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

    public Options(Path policyDir, Path pluginsDir, Duration blockingTimeout) {
      this(policyDir, pluginsDir, blockingTimeout, null, null, null, null, null, null, null);
    }

    public Options(
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
          null);
    }

    /** These options with a rate-limit compiler. */
    public Options withRateLimits(RateLimitCompiler compiler) {
      return new Options(
          policyDir,
          pluginsDir,
          blockingTimeout,
          opa,
          regoTimeout,
          regoObserver,
          compiler,
          quotas,
          services,
          settle);
    }

    /** These options with shared quotas for quota handlers. */
    public Options withQuotas(Quotas q) {
      return new Options(
          policyDir,
          pluginsDir,
          blockingTimeout,
          opa,
          regoTimeout,
          regoObserver,
          rateLimits,
          q,
          services,
          settle);
    }

    /** These options with services for built-in adapters. */
    public Options withServices(Map<Class<?>, Object> s) {
      return new Options(
          policyDir,
          pluginsDir,
          blockingTimeout,
          opa,
          regoTimeout,
          regoObserver,
          rateLimits,
          quotas,
          s,
          settle);
    }

    /** These options with another settle interval. */
    public Options withSettle(Duration d) {
      return new Options(
          policyDir,
          pluginsDir,
          blockingTimeout,
          opa,
          regoTimeout,
          regoObserver,
          rateLimits,
          quotas,
          services,
          d);
    }

    public static Options of(Path policyDir, Path pluginsDir) {
      return new Options(policyDir, pluginsDir, null);
    }
  }

  /** Exercises a compiled policy version before it serves. */
  @FunctionalInterface
  public interface Warmer {
    /**
     * Sends warm-up requests, which {@link #warmUpCheck} decides with {@code snapshot}. Keeps to
     * its own time budget; a failure is logged and the version serves anyway.
     */
    void warm(PolicySnapshot snapshot);
  }

  private final Options options;
  private final ThreadPoolExecutor blockingPool;
  private final EvaluationCounters counters = new EvaluationCounters();
  private final PolicyCompiler compiler;
  private final List<Consumer<ReloadResult>> listeners = new CopyOnWriteArrayList<>();
  private final Object reloadLock = new Object();

  /** Closes replaced versions' handlers once their requests are done, one version at a time. */
  private final java.util.concurrent.ExecutorService retirer =
      Executors.newSingleThreadExecutor(daemon("tollgate-policy-retire"));

  /** Replaced versions whose requests may still be under way. */
  private final Set<PolicySnapshot> retiring = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private volatile PolicySnapshot active;

  /** The version being warmed before it serves; {@code null} when none is. */
  private volatile PolicySnapshot warming;

  private Warmer warmer;
  private volatile List<ConfigError> lastErrors = List.of();
  private volatile Instant lastErrorAt;
  private Map<Path, String> lastAttempt = Map.of();
  private ScheduledExecutorService watcher;
  private final java.util.concurrent.atomic.AtomicLong watchPolls =
      new java.util.concurrent.atomic.AtomicLong();

  /**
   * Whether reload outcomes are logged; off for one-shot uses (validate, rule tests) that report
   * errors themselves, and which also treat an unreachable OPA as an error.
   */
  private final boolean logOutcome;

  private RegoEngine rego;

  private PolicyRuntime(Options options, boolean logOutcome) {
    this.options = options;
    this.logOutcome = logOutcome;
    int cores = Runtime.getRuntime().availableProcessors();
    this.blockingPool =
        new ThreadPoolExecutor(
            cores * 4,
            cores * 4,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1024),
            daemon("tollgate-handler"));
    this.blockingPool.allowCoreThreadTimeOut(true);
    List<LoadedAdapter> builtins = AdapterRegistry.builtins();
    this.compiler =
        new PolicyCompiler(
            options, builtins, blockingPool, counters, this::regoEngine, !logOutcome);
  }

  /** Loads the policy; throws with every problem when it does not compile. */
  public static PolicyRuntime start(Options options) throws PolicyLoadException {
    return start(options, true);
  }

  /**
   * Like {@link #start(Options)}, for one-shot tools (rule tests) that report errors themselves:
   * reload outcomes are not logged.
   */
  public static PolicyRuntime startQuietly(Options options) throws PolicyLoadException {
    return start(options, false);
  }

  private static PolicyRuntime start(Options options, boolean logOutcome)
      throws PolicyLoadException {
    PolicyRuntime r = new PolicyRuntime(options, logOutcome);
    ReloadResult first = r.reload();
    if (!first.swapped()) {
      r.close();
      throw new PolicyLoadException(first.errors());
    }
    return r;
  }

  /** Compiles without serving: the errors, empty when the policy is valid. */
  public static List<ConfigError> validate(Options options) {
    try (PolicyRuntime r = new PolicyRuntime(options, false)) {
      return r.reload().errors();
    }
  }

  /** The Rego engine, created the first time a policy has Rego. */
  private synchronized RegoEngine regoEngine() {
    if (rego == null) {
      rego = new RegoEngine(options.opa(), options.regoObserver());
    }
    return rego;
  }

  /** The engine if any policy so far had Rego, else {@code null}. */
  public synchronized RegoEngine regoEngineIfStarted() {
    return rego;
  }

  /** Empty when this runtime can decide every request as its policy says; otherwise why not. */
  public String notReadyReason() {
    if (active == null) {
      return "no policy is serving";
    }
    RegoEngine r = regoEngineIfStarted();
    return r == null || active.rego() == null ? "" : r.notReadyReason();
  }

  @Override
  public PolicyDecision check(Attributes attributes) {
    return check(attributes, PolicySnapshot.NO_DEADLINE);
  }

  @Override
  public PolicyDecision check(Attributes attributes, long callerDeadline) {
    PolicySnapshot s = enterActive();
    try {
      return s.check(attributes, callerDeadline);
    } finally {
      s.exit();
    }
  }

  @Override
  public PolicyDecision warmUpCheck(Attributes attributes) {
    PolicySnapshot w = warming;
    PolicySnapshot s = w != null && w.enter() ? w : enterActive();
    try {
      return WarmUp.call(() -> s.check(attributes));
    } finally {
      s.exit();
    }
  }

  /** The serving version, with this request counted on it ({@link PolicySnapshot#enter}). */
  private PolicySnapshot enterActive() {
    while (true) {
      PolicySnapshot s = active;
      if (s.enter()) {
        return s;
      }
      // retired between the read and the count: the swap is done, so the next read is newer
    }
  }

  /** The version warm-up requests are decided by: the one being warmed, else the serving one. */
  public PolicySnapshot warmUpSnapshot() {
    PolicySnapshot s = warming;
    return s != null ? s : active;
  }

  /**
   * From now on every version that compiles is warmed by {@code w} before it replaces the serving
   * one (compile all, warm, swap), and the serving version is warmed now, before this returns.
   * Warming only makes the first answers of a version fast: when it fails, the failure is logged
   * and the version serves all the same.
   */
  public void warmBeforeServing(Warmer w) {
    synchronized (reloadLock) {
      warmer = Objects.requireNonNull(w, "warmer");
      if (active != null) {
        warm(active);
      }
    }
  }

  private void warm(PolicySnapshot s) {
    if (warmer == null) {
      return;
    }
    warming = s;
    try {
      warmer.warm(s);
    } catch (RuntimeException e) {
      log.warn(
          "warm-up of policy version {} failed; it serves anyway: {}", s.version(), e.toString());
    } finally {
      warming = null;
    }
  }

  /**
   * Reports one finished request to the report rules of the active snapshot; returns the number of
   * instances recorded. Runs the report handlers on the calling thread.
   */
  public int report(Attributes attributes) {
    PolicySnapshot s = enterActive();
    try {
      return s.report(attributes);
    } finally {
      s.exit();
    }
  }

  /** The active snapshot; {@code null} only before the first successful load. */
  public PolicySnapshot snapshot() {
    return active;
  }

  /** Counters of evaluation errors and handler failures, across versions. */
  public EvaluationCounters counters() {
    return counters;
  }

  /** How many times {@link #reload} compiles when the inputs change while they are read. */
  private static final int ATTEMPTS = 3;

  /**
   * Compiles the directory now and swaps if it compiles. A compile during which an input changed is
   * not used: it is done again once the inputs have held still for the settle interval, and after a
   * few such attempts the reload fails, saying so.
   */
  public ReloadResult reload() {
    for (int i = 1; ; i++) {
      ReloadResult r = attempt(i == ATTEMPTS);
      if (r != null) {
        return r;
      }
      try {
        Thread.sleep(options.settle().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        i = ATTEMPTS - 1; // one last attempt, at once
      }
    }
  }

  /**
   * One compile-validate-swap; {@code null} when an input changed during the compile (then nothing
   * is swapped, recorded or announced), unless this is the {@code last} attempt, which fails.
   */
  private ReloadResult attempt(boolean last) {
    ReloadResult result;
    PolicySnapshot retired = null;
    synchronized (reloadLock) {
      long started = System.nanoTime();
      PolicySnapshot previous = active;
      long next = previous == null ? 1 : previous.version() + 1;
      PolicyCompiler.Result r = compiler.compile(next, previous);
      if (r.unsettled()) {
        if (!last) {
          return null;
        }
        r =
            new PolicyCompiler.Result(
                null,
                List.of(
                    ConfigError.of(
                        options.policyDir().toString(),
                        "the policy files kept changing while they were read; a version is made only of files that hold"
                            + " still (write them elsewhere and move them in)")),
                lastAttempt);
      }
      lastAttempt = r.fingerprint();
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      if (r.snapshot() != null) {
        // Before its Rego is activated: the serving version's Rego keeps answering meanwhile.
        warm(r.snapshot());
        if (r.snapshot().rego() != null) {
          regoEngine().activate(r.snapshot().rego());
        }
        active = r.snapshot();
        retired = previous;
        lastErrors = List.of();
        lastErrorAt = null;
        result = new ReloadResult(true, next, List.of(), took);
        if (logOutcome) {
          log.info(
              "policy version {} serving: {} files, {} rules, {} handlers (compiled in {} ms)",
              next,
              active.files().size(),
              active.ruleNames().size(),
              active.handlers().size(),
              took.toMillis());
        }
      } else {
        lastErrors = r.errors();
        lastErrorAt = Instant.now();
        long serving = previous == null ? 0 : previous.version();
        result = new ReloadResult(false, serving, r.errors(), took);
        // A first load that fails is reported by the caller, through PolicyLoadException.
        if (logOutcome && previous != null) {
          log.error(
              "policy reload failed with {} problem(s); version {} keeps serving:\n  {}",
              r.errors().size(),
              serving,
              String.join("\n  ", r.errors().stream().map(ConfigError::toString).toList()));
        }
      }
    }
    if (retired != null) {
      retire(retired);
    }
    for (Consumer<ReloadResult> l : listeners) {
      try {
        l.accept(result);
      } catch (RuntimeException e) {
        log.warn("reload listener failed", e);
      }
    }
    return result;
  }

  /**
   * Retires a replaced version: no request enters it any more, and once the requests under way on
   * it have finished (at most {@link #drainBound} later) the handlers no live version uses are
   * closed, on the retiring thread, one version after the other.
   */
  private void retire(PolicySnapshot old) {
    old.retire();
    retiring.add(old);
    try {
      retirer.execute(() -> drainAndClose(old));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      retiring.remove(old); // closing: close() closes every handler
    }
  }

  /** How long a replaced version's requests may take to finish before its handlers close anyway. */
  static Duration drainBound(PolicySnapshot old) {
    Duration longest = Duration.ZERO;
    for (HandlerEntry h : old.handlers().values()) {
      if (h.timeout() != null && h.timeout().compareTo(longest) > 0) {
        longest = h.timeout();
      }
    }
    return longest.plus(DRAIN_GRACE);
  }

  private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);

  private void drainAndClose(PolicySnapshot old) {
    Duration bound = drainBound(old);
    long until = System.nanoTime() + bound.toNanos();
    while (old.inFlight() > 0 && System.nanoTime() - until < 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
      if (Thread.currentThread().isInterrupted()) {
        return; // closing: close() closes every handler
      }
    }
    if (old.inFlight() > 0) {
      log.warn(
          "policy version {} still has {} request(s) under way {} ms after it was replaced; closing"
              + " the handlers it alone used anyway",
          old.version(),
          old.inFlight(),
          bound.toMillis());
    }
    Set<Handler> kept = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    retiring.remove(old);
    for (PolicySnapshot live : liveVersions()) {
      live.handlers().values().forEach(h -> kept.add(h.handler()));
    }
    for (HandlerEntry h : old.handlers().values()) {
      if (kept.add(h.handler())) {
        PolicyCompiler.closeQuietly(h.handler());
      }
    }
  }

  /** The serving version, the one being warmed, and the replaced ones not yet drained. */
  private List<PolicySnapshot> liveVersions() {
    List<PolicySnapshot> live = new java.util.ArrayList<>(retiring);
    PolicySnapshot a = active;
    PolicySnapshot w = warming;
    if (a != null) {
      live.add(a);
    }
    if (w != null) {
      live.add(w);
    }
    return live;
  }

  /**
   * Waits until every replaced version has drained and its handlers are closed; for tests. Returns
   * whether that happened within {@code timeout}.
   */
  boolean awaitRetired(Duration timeout) throws InterruptedException {
    java.util.concurrent.CompletableFuture<Void> done =
        new java.util.concurrent.CompletableFuture<>();
    retirer.execute(() -> done.complete(null));
    try {
      done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return false;
    }
  }

  /** The active version and the last failed reload. */
  public RuntimeStatus status() {
    PolicySnapshot s = active;
    return new RuntimeStatus(
        s == null ? 0 : s.version(),
        s == null ? null : s.loadedAt(),
        s == null ? List.of() : s.files(),
        s == null ? List.of() : s.ruleNames(),
        s == null ? Map.of() : s.handlerAdapters(),
        lastErrors,
        lastErrorAt,
        s == null ? Map.of() : s.quarantined());
  }

  /** Calls {@code listener} after every reload attempt, on the reloading thread. */
  public void onReload(Consumer<ReloadResult> listener) {
    listeners.add(listener);
  }

  /**
   * Starts polling the policy directory, the plugins directory and every file a handler reads,
   * reloading when they change. A change is compiled once the inputs have held still for the settle
   * interval ({@link Options#settle}), watched more often than {@code interval} meanwhile, so a
   * file caught half-written is not; a compile that sees an input change anyway is dropped and the
   * watcher waits for the inputs to settle again. Stopped by {@link #close}.
   */
  public synchronized void watch(Duration interval) {
    if (watcher != null) {
      return;
    }
    watcher = Executors.newSingleThreadScheduledExecutor(daemon("tollgate-policy-watch"));
    Watch w = new Watch(Math.max(10, interval.toMillis()), options.settle());
    watcher.schedule(w, w.intervalMs, TimeUnit.MILLISECONDS);
  }

  /** How many times the watcher has looked at the inputs; tests pace a writer by it. */
  long watchPolls() {
    return watchPolls.get();
  }

  /** The watcher: what it last saw change, and since when that has held still. */
  private final class Watch implements Runnable {
    final long intervalMs;
    private final long settleNanos;

    /** How often to look while a change settles. */
    private final long stepMs;

    private Map<Path, String> seen;
    private long since;

    /**
     * When the inputs began to change without holding still since, or 0; and whether that was said.
     */
    private long unsettledSince;

    private boolean warned;

    Watch(long intervalMs, Duration settle) {
      this.intervalMs = intervalMs;
      this.settleNanos = settle.toNanos();
      this.stepMs = Math.max(10, Math.min(intervalMs, settle.toMillis() / 5));
    }

    @Override
    public void run() {
      long delay = intervalMs;
      try {
        delay = poll();
      } catch (RuntimeException e) {
        log.error("policy watch failed; will retry", e);
      } finally {
        watchPolls.incrementAndGet();
      }
      synchronized (PolicyRuntime.this) {
        if (!watcher.isShutdown()) {
          watcher.schedule(this, delay, TimeUnit.MILLISECONDS);
        }
      }
    }

    /** Looks once; the delay until the next look. */
    private long poll() {
      Map<Path, String> attempted;
      synchronized (reloadLock) {
        attempted = lastAttempt;
      }
      Map<Path, String> now = compiler.fingerprint(attempted);
      if (now.equals(attempted)) {
        seen = null;
        return intervalMs;
      }
      long t = System.nanoTime();
      if (!now.equals(seen)) {
        if (seen != null) {
          warnIfRestless(seen, now, t);
        }
        seen = now;
        since = t;
        if (settleNanos > 0) {
          return stepMs;
        }
      } else if (t - since < settleNanos) {
        return stepMs;
      }
      seen = null;
      unsettledSince = 0;
      warned = false;
      log.info("policy inputs changed; reloading {}", options.policyDir());
      if (attempt(false) == null) {
        log.info("policy inputs changed while they were compiled; waiting for them to hold still");
        return stepMs;
      }
      return intervalMs;
    }

    /**
     * Says once which files keep a change from settling, such as a log written into the directory.
     */
    private void warnIfRestless(Map<Path, String> before, Map<Path, String> now, long t) {
      if (unsettledSince == 0) {
        unsettledSince = t;
      }
      if (warned
          || t - unsettledSince < Math.max(Duration.ofSeconds(5).toNanos(), 10 * settleNanos)) {
        return;
      }
      warned = true;
      List<Path> changing = new java.util.ArrayList<>();
      now.forEach(
          (p, stamp) -> {
            if (!stamp.equals(before.get(p))) {
              changing.add(p);
            }
          });
      before.keySet().stream().filter(p -> !now.containsKey(p)).forEach(changing::add);
      log.warn(
          "policy inputs have not held still for {} ms since {} s ago, so no new version is compiled;"
              + " changing: {} (keep files that change all the time out of the policy directory)",
          settleNanos / 1_000_000,
          (t - unsettledSince) / 1_000_000_000,
          changing.stream().sorted().limit(5).toList());
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    synchronized (this) {
      if (watcher != null) {
        watcher.shutdownNow();
      }
    }
    retirer.shutdownNow();
    blockingPool.shutdownNow();
    Set<Handler> closed = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    for (PolicySnapshot s : liveVersions()) {
      for (HandlerEntry h : s.handlers().values()) {
        if (closed.add(h.handler())) {
          PolicyCompiler.closeQuietly(h.handler());
        }
      }
    }
    RegoEngine r = regoEngineIfStarted();
    if (r != null) {
      r.close();
    }
  }
}
