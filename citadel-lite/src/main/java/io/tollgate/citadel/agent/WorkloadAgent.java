package io.tollgate.citadel.agent;

import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.tollgate.citadel.BootstrapTokens;
import io.tollgate.citadel.CertificateAuthority;
import io.tollgate.citadel.Csr;
import io.tollgate.citadel.KeyType;
import io.tollgate.citadel.Pem;
import io.tollgate.citadel.SpiffeId;
import io.tollgate.citadel.api.IstioCertificateRequest;
import io.tollgate.citadel.api.IstioCertificateResponse;
import io.tollgate.citadel.api.IstioCertificateServiceGrpc;
import io.tollgate.common.lifecycle.DaemonThreads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workload side of citadel-lite: generates a key locally, sends a CSR to the CA, writes key,
 * chain and root into {@link CertificateFiles}, and renews at a fraction of the certificate's
 * lifetime, authenticating with its current certificate (or the bootstrap token when it has no
 * valid one, or when the CA refused the certificate). While the CA cannot be reached it retries
 * with exponential backoff and jitter, keeping the current files. The private key never leaves this
 * process except into the 0600 key file.
 */
public final class WorkloadAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkloadAgent.class);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * @param caTarget host:port of the CA
   * @param caRoot the trust bundle that verifies the CA (its root-cert.pem)
   * @param token a bootstrap token, or null
   * @param tokenFile a file holding the bootstrap token, reread at every attempt, or null
   * @param ttl requested lifetime; zero asks for the CA's default
   * @param renewAt renew when this fraction of the lifetime has passed (0 &lt; renewAt &lt; 1)
   */
  public record Settings(
      String caTarget,
      Path caRoot,
      String token,
      Path tokenFile,
      Path outDir,
      KeyType keyType,
      Duration ttl,
      double renewAt,
      Duration maxBackoff) {
    public Settings {
      if (!(renewAt > 0 && renewAt < 1)) {
        throw new IllegalArgumentException(
            "renewAt must be between 0 and 1 (exclusive), not " + renewAt);
      }
    }
  }

  /** Why a fetch failed, in words that say what to do. */
  public static final class FetchException extends Exception {
    private static final long serialVersionUID = 1L;

    public FetchException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Settings settings;
  private final CertificateFiles files;
  private final Clock clock;
  private final List<Consumer<CertificateFiles.Bundle>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService scheduler;
  private volatile boolean certificateRefused;
  private volatile Instant nextRenewal;
  private int failures;

  public WorkloadAgent(Settings settings, Clock clock) {
    this.settings = settings;
    this.files = new CertificateFiles(settings.outDir());
    this.clock = clock;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("tollgate-agent"));
  }

  public CertificateFiles files() {
    return files;
  }

  /** Called with every new bundle (also the current one when added after the first fetch). */
  public void onRotation(Consumer<CertificateFiles.Bundle> listener) {
    listeners.add(listener);
    currentValid().ifPresent(listener);
  }

  public Optional<Instant> nextRenewal() {
    return Optional.ofNullable(nextRenewal);
  }

  /** Fetches (or renews) once, now, and writes the files. */
  public synchronized CertificateFiles.Bundle fetch() throws FetchException {
    Optional<CertificateFiles.Bundle> current =
        certificateRefused ? Optional.empty() : currentValid();
    String token = token();
    if (current.isEmpty() && token == null) {
      throw new FetchException(
          certificateRefused
              ? "the CA refused the current certificate and no bootstrap token is configured; give one with --token or --token-file"
              : "no valid certificate in "
                  + files.dir()
                  + " and no bootstrap token; give one with --token or --token-file",
          null);
    }
    SpiffeId id;
    try {
      id =
          current.isPresent()
              ? CertificateAuthority.spiffeIdOf(current.get().certificate())
              : BootstrapTokens.subjectOf(token);
    } catch (IllegalArgumentException e) {
      throw new FetchException("cannot tell which identity to ask for: " + e.getMessage(), e);
    }
    KeyPair key = settings.keyType().generate();
    IstioCertificateRequest request =
        IstioCertificateRequest.newBuilder()
            .setCsr(Csr.forIdentity(id, key))
            .setValidityDuration(settings.ttl().toSeconds())
            .build();
    ManagedChannel channel = null;
    try {
      channel = NettyChannelBuilder.forTarget(settings.caTarget(), credentials(current)).build();
      var stub =
          IstioCertificateServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(30, TimeUnit.SECONDS);
      if (current.isEmpty()) {
        stub = stub.withCallCredentials(bearer(token));
      }
      IstioCertificateResponse response = stub.createCertificate(request);
      List<X509Certificate> chain = new ArrayList<>();
      for (String pem : response.getCertChainList()) {
        chain.addAll(Pem.certificates(pem));
      }
      if (chain.size() < 2
          || !chain.get(0).getPublicKey().equals(key.getPublic())
          || !CertificateAuthority.spiffeIdOf(chain.get(0)).equals(id)) {
        throw new FetchException(
            "the CA answered with a chain that is not for this key and identity " + id, null);
      }
      X509Certificate root = chain.remove(chain.size() - 1);
      files.write(key.getPrivate(), chain, List.of(root));
      certificateRefused = false;
      CertificateFiles.Bundle bundle =
          new CertificateFiles.Bundle(key.getPrivate(), chain, List.of(root));
      log.info(
          "certificate for {} (serial {}, authenticated by {}) valid until {}, written to {}",
          id,
          chain.get(0).getSerialNumber().toString(16),
          current.isPresent() ? "certificate" : "token",
          chain.get(0).getNotAfter().toInstant(),
          files.dir());
      listeners.forEach(l -> l.accept(bundle));
      return bundle;
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      if (current.isPresent()
          && (code == Status.Code.UNAUTHENTICATED || code == Status.Code.PERMISSION_DENIED)) {
        certificateRefused = true;
      }
      throw new FetchException(
          "the CA at "
              + settings.caTarget()
              + " answered "
              + code
              + ": "
              + e.getStatus().getDescription(),
          e);
    } catch (IOException | RuntimeException e) {
      throw new FetchException(
          "fetching a certificate for " + id + " failed: " + e.getMessage(), e);
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
    }
  }

  /**
   * Starts renewing in the background: at once when there is no valid certificate, else when due.
   */
  public void start() {
    Optional<CertificateFiles.Bundle> current = currentValid();
    schedule(
        current
            .map(b -> dueIn(b, b.certificate().getNotBefore().toInstant()))
            .orElse(Duration.ZERO));
  }

  private void attempt() {
    try {
      CertificateFiles.Bundle b = fetch();
      failures = 0;
      schedule(dueIn(b, clock.instant()));
    } catch (FetchException e) {
      failures++;
      Duration delay = backoff(failures);
      log.warn(
          "{}; attempt {} failed, retrying in {} ms", e.getMessage(), failures, delay.toMillis());
      schedule(delay);
    } catch (RuntimeException e) {
      failures++;
      log.error("renewal failed unexpectedly; retrying", e);
      schedule(backoff(failures));
    }
  }

  private void schedule(Duration delay) {
    nextRenewal = clock.instant().plus(delay);
    if (!scheduler.isShutdown()) {
      scheduler.schedule(this::attempt, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * When to renew a certificate received at {@code from}: {@code renewAt} of the time it has left.
   */
  private Duration dueIn(CertificateFiles.Bundle b, Instant from) {
    Instant notAfter = b.certificate().getNotAfter().toInstant();
    Instant due =
        from.plusMillis((long) (Duration.between(from, notAfter).toMillis() * settings.renewAt()));
    Duration d = Duration.between(clock.instant(), due);
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** 1 s, 2 s, 4 s ... up to maxBackoff, each with up to 20% jitter either way. */
  Duration backoff(int attempt) {
    long base = Math.min(settings.maxBackoff().toMillis(), 1000L << Math.min(20, attempt - 1));
    long jitter = (long) (base * 0.2 * (ThreadLocalRandom.current().nextDouble() * 2 - 1));
    return Duration.ofMillis(Math.max(100, base + jitter));
  }

  private Optional<CertificateFiles.Bundle> currentValid() {
    Instant now = clock.instant();
    return files.read().filter(b -> b.certificate().getNotAfter().toInstant().isAfter(now));
  }

  private String token() {
    try {
      if (settings.tokenFile() != null && Files.exists(settings.tokenFile())) {
        String t = Files.readString(settings.tokenFile()).trim();
        return t.isEmpty() ? null : t;
      }
    } catch (IOException e) {
      log.warn("cannot read the token file {}: {}", settings.tokenFile(), e.getMessage());
    }
    return settings.token() == null || settings.token().isBlank() ? null : settings.token().trim();
  }

  private ChannelCredentials credentials(Optional<CertificateFiles.Bundle> current)
      throws IOException {
    TlsChannelCredentials.Builder tls =
        TlsChannelCredentials.newBuilder().trustManager(settings.caRoot().toFile());
    if (current.isPresent()) {
      AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
      keys.updateIdentityCredentials(
          current.get().chain().toArray(X509Certificate[]::new), current.get().key());
      tls.keyManager(keys);
    }
    return tls.build();
  }

  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(AUTHORIZATION, "Bearer " + token);
        applier.apply(m);
      }
    };
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
