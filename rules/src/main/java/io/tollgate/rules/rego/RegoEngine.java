package io.tollgate.rules.rego;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.common.config.ConfigError;
import io.tollgate.common.lifecycle.DaemonThreads;
import io.tollgate.common.lifecycle.FatalErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code RegoEngine} keeps a policy's Rego modules and data documents in one OPA server and asks it
 * for decisions.
 *
 * <p><b>Compile-all-then-swap across the OPA boundary.</b> OPA holds two slots, {@code
 * data.tollgate.slot0} and {@code data.tollgate.slot1}. Every module is rewritten to live under a
 * slot ({@link RegoModule}), and the data documents are written at the slot's root. A new policy
 * version is uploaded into the slot that is not serving; OPA compiles each module as it arrives and
 * refuses the ones with errors (with their location), which fails the whole new version. Only when
 * everything compiled, in OPA and in Tollgate, does the snapshot that queries the new slot replace
 * the old one; until then every request is decided by the old slot, which nothing touched. A
 * version whose Rego did not change keeps its slot and uploads nothing.
 *
 * <p><b>Keeping OPA in step.</b> The serving slot's data carries an upload id. Twice a second the
 * engine reads it back; when it is missing (OPA restarted, or was not reachable when the policy
 * loaded) the serving modules and data are uploaded again, and until that has happened Rego
 * handlers fail by their failure policy and readiness says why. A circuit breaker shared by all
 * queries keeps a dead OPA from costing a network round trip per request.
 *
 * <p>OPA is either an external server ({@code --opa-url}) or an {@code opa} binary this engine runs
 * and supervises ({@link OpaSupervisor}), started the first time a policy has Rego. Modules for a
 * supervised OPA are first checked for builtins that reach outside it ({@link OpaCapabilities}); an
 * external OPA's capabilities are its operator's to set.
 */
public final class RegoEngine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RegoEngine.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INSTALL_HINT =
      "Rego policies need an OPA server: install opa (go install github.com/open-policy-agent/opa@v1.22.2)"
          + " so Tollgate can run it, or give the URL of a running one with --opa-url";

  /**
   * How to reach OPA.
   *
   * @param url an OPA server to use, or {@code null} to run one
   * @param binary the {@code opa} program to run when no URL is given; {@code null} looks for
   *     {@code opa} on the PATH and in ~/go/bin
   * @param requestTimeout deadline of each upload and query at the HTTP level
   * @param allowedBuiltins builtins of {@link #LEFT_OUT_BUILTINS} that policies may use all the
   *     same in the supervised OPA; an external OPA's capabilities are its operator's to set
   */
  public record Settings(
      String url, Path binary, Duration requestTimeout, Set<String> allowedBuiltins) {
    public Settings {
      allowedBuiltins = Set.copyOf(allowedBuiltins);
      Set<String> unknown = new java.util.TreeSet<>(allowedBuiltins);
      unknown.removeAll(LEFT_OUT_BUILTINS);
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException(
            "only builtins Tollgate leaves out can be allowed: "
                + new java.util.TreeSet<>(LEFT_OUT_BUILTINS)
                + "; not "
                + unknown);
      }
    }

    /** Settings that allow none of the left-out builtins. */
    public Settings(String url, Path binary, Duration requestTimeout) {
      this(url, binary, requestTimeout, Set.of());
    }

    public static Settings defaults() {
      return new Settings(null, null, Duration.ofSeconds(2));
    }
  }

  /**
   * The builtins a supervised OPA refuses unless {@link Settings#allowedBuiltins} names them: those
   * that reach the network, the environment or the file system.
   */
  public static final Set<String> LEFT_OUT_BUILTINS = OpaCapabilities.LEFT_OUT;

  /** Hears of every query, for metrics. */
  public interface Observer {
    /**
     * A query took {@code nanos}; {@code outcome} is ok, undefined, error or rejected (breaker
     * open).
     */
    void queried(long nanos, String outcome);

    Observer NONE = (nanos, outcome) -> {};
  }

  /** The outcome of preparing a new version's Rego: a bundle, or errors. */
  public record Prepared(RegoBundle bundle, List<ConfigError> errors) {}

  private final Settings settings;
  private final Observer observer;
  private final CircuitBreaker breaker = new CircuitBreaker(5, Duration.ofSeconds(1));
  private final AtomicLong uploads = new AtomicLong(System.currentTimeMillis());
  private final List<Set<String>> uploadedIds = List.of(new HashSet<>(), new HashSet<>());
  private final ScheduledExecutorService keeper;
  private OpaSupervisor supervisor;
  private OpaCapabilities capabilities;
  private volatile OpaConnection opa;
  private volatile RegoBundle live;

  /** The last bundle OPA accepted whole, so its version can answer as soon as it is swapped in. */
  private volatile RegoBundle uploaded;

  private volatile boolean inStep;
  private volatile String lastProblem = "";
  private volatile boolean closed;

  public RegoEngine(Settings settings, Observer observer) {
    this.settings = settings;
    this.observer = observer;
    this.keeper =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("tollgate-opa-sync"));
    if (settings.url() != null) {
      opa = new OpaConnection(settings.url(), settings.requestTimeout());
    }
    keeper.scheduleWithFixedDelay(
        FatalErrors.guard("the OPA sync", this::keepInStep), 500, 500, TimeUnit.MILLISECONDS);
  }

  /**
   * Uploads a version's Rego into the slot that is not serving, or reuses the serving bundle if
   * nothing changed.
   *
   * @param sources file (relative) to Rego source
   * @param dataFiles data file (relative, e.g. {@code users/data.json}) to its parsed content
   * @param previous the bundle of the serving version, or {@code null}
   * @param strict whether an unreachable OPA is an error (validate, test) rather than a reason to
   *     upload later (serve)
   */
  public synchronized Prepared prepare(
      Map<String, String> sources,
      Map<String, Object> dataFiles,
      RegoBundle previous,
      boolean strict) {
    List<ConfigError> errors = new ArrayList<>();
    Map<String, Object> data = RegoBundle.mergeData(dataFiles, errors);
    if (!errors.isEmpty()) {
      return new Prepared(null, errors);
    }
    if (previous != null && previous.sources().equals(sources) && previous.data().equals(data)) {
      return new Prepared(previous, List.of());
    }
    int slot = live == null ? 0 : 1 - live.slot();
    Map<String, RegoModule> modules = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      RegoModule m = RegoModule.rewrite(e.getKey(), e.getValue(), "tollgate.slot" + slot);
      if (m.packageName().isEmpty()) {
        errors.add(new ConfigError(e.getKey(), 1, 1, "Rego: the module declares no package"));
      }
      modules.put(e.getKey(), m);
    }
    if (!errors.isEmpty()) {
      return new Prepared(null, errors);
    }
    RegoBundle b =
        new RegoBundle(slot, modules, Map.copyOf(sources), data, uploads.incrementAndGet());
    OpaConnection c;
    try {
      c = connection();
    } catch (IOException e) {
      errors.add(ConfigError.of(sources.keySet().iterator().next(), e.getMessage()));
      return new Prepared(null, errors);
    }
    if (supervisor != null) {
      try {
        errors.addAll(capabilities().refusals(sources));
      } catch (IOException e) {
        errors.add(
            ConfigError.of(
                sources.keySet().iterator().next(),
                "Rego cannot be checked for builtins that reach outside OPA: " + e.getMessage()));
      }
      if (!errors.isEmpty()) {
        return new Prepared(null, errors);
      }
    }
    try {
      upload(c, b, errors);
    } catch (OpaConnection.UnavailableException e) {
      if (strict || settings.url() == null) {
        errors.add(
            ConfigError.of(
                sources.keySet().iterator().next(), "Rego cannot be checked: " + e.getMessage()));
        return new Prepared(null, errors);
      }
      log.warn(
          "{}; the policy loads and its Rego handlers fail by their failure policy until OPA is back",
          e.getMessage());
      lastProblem = "OPA at " + c.url() + " is unreachable";
      return new Prepared(b, List.of());
    }
    if (errors.isEmpty()) {
      uploaded = b;
      return new Prepared(b, List.of());
    }
    return new Prepared(null, errors);
  }

  /** Makes {@code b} the serving bundle; called when its snapshot is swapped in. */
  public void activate(RegoBundle b) {
    if (b == null || b == live) {
      return;
    }
    live = b;
    inStep = b == uploaded; // just uploaded whole: OPA holds it; the keeper checks from now on
    keeper.execute(this::keepInStep);
  }

  private OpaConnection connection() throws IOException {
    OpaConnection c = opa;
    if (c != null) {
      return c;
    }
    Path binary = settings.binary() != null ? settings.binary() : findOpa();
    if (binary == null || !Files.isExecutable(binary)) {
      throw new IOException(
          INSTALL_HINT + (binary == null ? "" : " (" + binary + " is not executable)"));
    }
    supervisor =
        OpaSupervisor.start(
            binary,
            Duration.ofSeconds(20),
            () -> {
              inStep =
                  false; // a new OPA starts empty: no query may reach it before the policy is back
              lastProblem = "OPA exited; restarting it";
            },
            () -> {
              opa = new OpaConnection(supervisor.url(), settings.requestTimeout());
              uploadedIds.forEach(Set::clear);
              inStep = false;
              keepInStep();
            });
    opa = new OpaConnection(supervisor.url(), settings.requestTimeout());
    return opa;
  }

  /** The supervised OPA's capabilities, made the first time they are needed. */
  private OpaCapabilities capabilities() throws IOException {
    if (capabilities == null) {
      capabilities = OpaCapabilities.create(supervisor.binary(), settings.allowedBuiltins());
      log.info(
          "Rego policies may not use {} (allowed by --opa-allow-builtin: {})",
          capabilities.leftOut(),
          settings.allowedBuiltins().isEmpty() ? "none" : settings.allowedBuiltins());
    }
    return capabilities;
  }

  /** {@code opa} on the PATH or in ~/go/bin, or {@code null}. */
  public static Path findOpa() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "opa"))) {
        return Path.of(dir, "opa");
      }
    }
    Path goBin = Path.of(System.getProperty("user.home"), "go", "bin", "opa");
    return Files.isExecutable(goBin) ? goBin : null;
  }

  private void upload(OpaConnection c, RegoBundle b, List<ConfigError> errors) {
    String rootPath = b.root().replace('.', '/');
    Set<String> ids = new HashSet<>();
    b.modules().keySet().forEach(f -> ids.add(rootPath + "/" + f));
    // Modules a previous upload left in this slot and the new version does not have: emptied.
    Set<String> stale;
    synchronized (uploadedIds) {
      stale = new HashSet<>(uploadedIds.get(b.slot()));
    }
    stale.removeAll(ids);
    for (String id : stale) {
      c.putPolicy(id, "package " + b.root() + "._retired\n");
    }
    c.putData(rootPath, json(b.withMarker()));
    List<RegoModule> pending = new ArrayList<>(b.modules().values());
    Map<RegoModule, List<OpaConnection.OpaError>> failed = new HashMap<>();
    boolean progress = true;
    while (!pending.isEmpty()
        && progress) { // modules may call functions of modules not yet uploaded
      progress = false;
      failed.clear();
      List<RegoModule> next = new ArrayList<>();
      for (RegoModule m : pending) {
        String id = rootPath + "/" + m.file();
        try {
          c.putPolicy(id, m.rewritten());
          synchronized (uploadedIds) {
            uploadedIds.get(b.slot()).add(id);
          }
          progress = true;
        } catch (OpaConnection.RejectedException e) {
          failed.put(m, e.errors());
          next.add(m);
        }
      }
      pending = next;
    }
    Map<String, RegoModule> byId = new HashMap<>();
    b.modules().values().forEach(m -> byId.put(rootPath + "/" + m.file(), m));
    for (Map.Entry<RegoModule, List<OpaConnection.OpaError>> e : failed.entrySet()) {
      if (e.getValue().isEmpty()) {
        errors.add(ConfigError.of(e.getKey().file(), "Rego: OPA refused the module"));
      }
      for (OpaConnection.OpaError oe : e.getValue()) {
        RegoModule m = byId.getOrDefault(oe.file(), e.getKey());
        errors.add(
            new ConfigError(
                m.file(),
                oe.row(),
                m.originalColumn(oe.row(), oe.col()),
                "Rego "
                    + oe.code().replace("rego_", "").replace('_', ' ')
                    + ": "
                    + m.originalMessage(oe.message())));
      }
    }
    errors.sort(
        java.util.Comparator.comparing(ConfigError::file).thenComparingInt(ConfigError::line));
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("data document is not JSON-serializable", e);
    }
  }

  /** Reads back the serving bundle's marker; uploads the bundle again if OPA lost it. */
  private synchronized void keepInStep() {
    RegoBundle b = live;
    OpaConnection c = opa;
    if (b == null || c == null) {
      return;
    }
    try {
      Object marker = c.query(b.root().replace('.', '/') + "/_tollgate/upload", Map.of());
      if (marker instanceof Number n && n.longValue() == b.uploadId()) {
        if (!inStep) {
          inStep = true;
          lastProblem = "";
          log.info("OPA at {} holds the serving Rego ({} modules)", c.url(), b.modules().size());
        }
        return;
      }
      inStep = false;
      synchronized (uploadedIds) {
        uploadedIds.get(b.slot()).clear();
      }
      List<ConfigError> errors = new ArrayList<>();
      log.info("OPA at {} does not hold the serving Rego; uploading it", c.url());
      upload(c, b, errors);
      if (errors.isEmpty()) {
        inStep = true;
        lastProblem = "";
        breaker.success();
      } else {
        lastProblem = "OPA refused the serving Rego: " + errors;
        log.error("{}", lastProblem);
      }
    } catch (OpaConnection.UnavailableException e) {
      inStep = false;
      lastProblem = "OPA at " + c.url() + " is unreachable";
    } catch (RuntimeException e) {
      if (closed) {
        return;
      }
      inStep = false;
      lastProblem = "keeping OPA in step failed: " + e.getMessage();
      log.warn("{}", lastProblem);
    }
  }

  /**
   * Evaluates {@code document} of bundle {@code b} with {@code input}.
   *
   * @return the result, or {@code null} when the document is undefined
   * @throws OpaConnection.UnavailableException when OPA is down, the breaker is open, or OPA does
   *     not hold the bundle yet
   */
  public Object query(RegoBundle b, String document, Object input) {
    long started = System.nanoTime();
    if (b != live || !inStep) {
      observer.queried(0, "rejected");
      throw new OpaConnection.UnavailableException(
          "OPA does not hold the serving Rego yet (" + lastProblem + ")", null);
    }
    if (!breaker.allow()) {
      observer.queried(0, "rejected");
      throw new OpaConnection.UnavailableException(
          "circuit breaker open: OPA failed repeatedly", null);
    }
    try {
      Object r = opa.query(b.path(document), input);
      breaker.success();
      observer.queried(System.nanoTime() - started, r == null ? "undefined" : "ok");
      return r;
    } catch (RuntimeException e) {
      breaker.failure();
      observer.queried(System.nanoTime() - started, "error");
      throw e;
    }
  }

  /** Whether Rego can be decided now; empty when it can (or no Rego serves), else why not. */
  public String notReadyReason() {
    if (live == null || inStep) {
      return "";
    }
    return lastProblem.isEmpty() ? "OPA does not hold the serving Rego yet" : lastProblem;
  }

  public CircuitBreaker.State breakerState() {
    return breaker.state();
  }

  /** The supervised OPA's process id, or -1 (for tests and the admin API). */
  public long opaPid() {
    OpaSupervisor s = supervisor;
    return s == null ? -1 : s.pid();
  }

  @Override
  public void close() {
    closed = true;
    keeper.shutdownNow();
    if (supervisor != null) {
      supervisor.close();
    }
    synchronized (this) {
      if (capabilities != null) {
        capabilities.close();
      }
    }
  }
}
