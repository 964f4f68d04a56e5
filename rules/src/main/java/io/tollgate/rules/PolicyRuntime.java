package io.tollgate.rules;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.compile.PolicyCompiler;
import io.tollgate.rules.dispatch.HandlerPools;
import io.tollgate.rules.plugins.AdapterRegistry;
import io.tollgate.rules.plugins.LoadedAdapter;
import io.tollgate.rules.rego.RegoEngine;
import io.tollgate.rules.snapshot.PolicySnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
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

  private final RuntimeOptions options;
  private final HandlerPools pools;
  private final EvaluationCounters counters = new EvaluationCounters();
  private final PolicyCompiler compiler;
  private final List<Consumer<ReloadResult>> listeners = new CopyOnWriteArrayList<>();
  private final Object reloadLock = new Object();

  /** Closes replaced versions' handlers once their requests are done. */
  private final Retirement retirement = new Retirement(this::currentVersions);

  private volatile PolicySnapshot active;

  /** The version being warmed before it serves; {@code null} when none is. */
  private volatile PolicySnapshot warming;

  private Warmer warmer;
  private volatile List<ConfigError> lastErrors = List.of();
  private volatile Instant lastErrorAt;
  private Map<Path, String> lastAttempt = Map.of();
  private PolicyWatch watch;

  /**
   * Whether reload outcomes are logged; off for one-shot uses (validate, rule tests) that report
   * errors themselves, and which also treat an unreachable OPA as an error.
   */
  private final boolean logOutcome;

  private final PolicyEngines engines;

  private PolicyRuntime(RuntimeOptions options, boolean logOutcome) {
    this.options = options;
    this.logOutcome = logOutcome;
    this.pools = new HandlerPools();
    this.engines = new PolicyEngines(options, !logOutcome);
    List<LoadedAdapter> builtins = AdapterRegistry.builtins();
    this.compiler = new PolicyCompiler(options, builtins, pools, counters, engines.all);
  }

  /** Loads the policy; throws with every problem when it does not compile. */
  public static PolicyRuntime start(RuntimeOptions options) throws PolicyLoadException {
    return start(options, true);
  }

  /**
   * Like {@link #start(RuntimeOptions)}, for one-shot tools (rule tests) that report errors
   * themselves: reload outcomes are not logged.
   */
  public static PolicyRuntime startQuietly(RuntimeOptions options) throws PolicyLoadException {
    return start(options, false);
  }

  private static PolicyRuntime start(RuntimeOptions options, boolean logOutcome)
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
  public static List<ConfigError> validate(RuntimeOptions options) {
    try (PolicyRuntime r = new PolicyRuntime(options, false)) {
      return r.reload().errors();
    }
  }

  /** The engine if any policy so far had Rego, else {@code null}. */
  public RegoEngine regoEngineIfStarted() {
    return engines.rego.started();
  }

  /** Empty when this runtime can decide every request as its policy says; otherwise why not. */
  public String notReadyReason() {
    if (active == null) {
      return "no policy is serving";
    }
    return engines.notReadyReason(active);
  }

  @Override
  public PolicyDecision check(Attributes attributes) {
    return check(attributes, Decider.NO_DEADLINE);
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
   * one (compile all, warm, swap), and the serving version is warmed now, before this returns;
   * holds its handlers earned meanwhile are released. Warming only makes the first answers of a
   * version fast: when it fails, the failure is logged and the version serves all the same.
   */
  public void warmBeforeServing(Warmer w) {
    synchronized (reloadLock) {
      warmer = Objects.requireNonNull(w, "warmer");
      if (active != null) {
        warm(active);
        // Deadlines missed while the JVM was still cold (warm-up traffic, and real checks that
        // came in meanwhile) say nothing of the handlers; a hold they earned would keep answering
        // with the failure policy for seconds after the server says it is ready.
        active.handlers().values().forEach(h -> h.quarantine().release());
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
        // Before its engines activate it: the serving version's Rego keeps answering meanwhile.
        warm(r.snapshot());
        engines.activate(r.snapshot());
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
      retirement.retire(retired);
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

  /** The serving version and the one being warmed, those that exist. */
  private List<PolicySnapshot> currentVersions() {
    List<PolicySnapshot> live = new java.util.ArrayList<>(2);
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
    return retirement.awaitIdle(timeout);
  }

  /** The active version and the last failed reload. */
  public RuntimeStatus status() {
    return RuntimeStatus.of(active, lastErrors, lastErrorAt);
  }

  /** Calls {@code listener} after every reload attempt, on the reloading thread. */
  public void onReload(Consumer<ReloadResult> listener) {
    listeners.add(listener);
  }

  /**
   * Starts polling the policy directory, the plugins directory and every file a handler reads,
   * reloading when they change. A change is compiled once the inputs have held still for the settle
   * interval ({@link RuntimeOptions#settle}), watched more often than {@code interval} meanwhile,
   * so a file caught half-written is not; a compile that sees an input change anyway is dropped and
   * the watcher waits for the inputs to settle again. Stopped by {@link #close}.
   */
  public synchronized void watch(Duration interval) {
    if (watch != null) {
      return;
    }
    Supplier<Map<Path, String>> last =
        () -> {
          synchronized (reloadLock) {
            return lastAttempt;
          }
        };
    watch =
        new PolicyWatch(
                Math.max(10, interval.toMillis()),
                options.settle(),
                options.policyDir(),
                last,
                compiler::fingerprint,
                () -> attempt(false) != null)
            .start();
  }

  /** How many times the watcher has looked at the inputs; tests pace a writer by it. */
  synchronized long watchPolls() {
    return watch == null ? 0 : watch.polls();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (watch != null) {
        watch.close();
      }
    }
    pools.close();
    retirement.close();
    engines.close();
  }
}
