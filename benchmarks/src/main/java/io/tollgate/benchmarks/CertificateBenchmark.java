package io.tollgate.benchmarks;

import io.tollgate.citadel.CaState;
import io.tollgate.citadel.CertificateAuthority;
import io.tollgate.citadel.Csr;
import io.tollgate.citadel.KeyType;
import io.tollgate.citadel.Revocations;
import io.tollgate.citadel.SpiffeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code CertificateBenchmark}: what the CA does per request, without the network: check a CSR
 * (parse, proof of possession, key strength, names) and sign the workload certificate with the CA's
 * ECDSA P-256 key, for EC P-256 and RSA-2048 leaf keys. {@code caSignatureOnly} is the baseline:
 * one bare SHA256withECDSA signature by the same key and provider (BouncyCastle), which no
 * certificate can avoid; {@code caSignatureJdk} the same signature by the JDK's provider.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
public class CertificateBenchmark {
  @Param({"EC_P256", "RSA_2048"})
  public String leafKey;

  private CertificateAuthority ca;
  private CaState state;
  private SpiffeId id;
  private String csr;
  private final byte[] tbs = new byte[400];

  @Setup
  public void setUp() throws Exception {
    Path dir = Files.createTempDirectory("tollgate-ca-bench-");
    state = CaState.open(dir, null, "cluster.local");
    ca =
        new CertificateAuthority(
            state,
            new CertificateAuthority.Settings(
                "cluster.local", Duration.ofHours(24), Duration.ofHours(24)),
            new Revocations(dir),
            Clock.systemUTC());
    id = new SpiffeId("cluster.local", "shop", "cart");
    csr = Csr.forIdentity(id, KeyType.valueOf(leafKey).generate());
    if (!ca.issue(id, csr, 3600)
        .certificate()
        .getPublicKey()
        .getAlgorithm()
        .startsWith(leafKey.substring(0, 2))) {
      throw new IllegalStateException("the certificate does not carry the " + leafKey + " key");
    }
  }

  @Benchmark
  public Object issue() throws Exception {
    return ca.issue(id, csr, 3600);
  }

  @Benchmark
  public byte[] caSignatureOnly() throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA", KeyType.PROVIDER);
    s.initSign(state.caKey);
    s.update(tbs);
    return s.sign();
  }

  /** The same signature by the JDK's own provider, which the CA does not use: for comparison. */
  @Benchmark
  public byte[] caSignatureJdk() throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(state.caKey);
    s.update(tbs);
    return s.sign();
  }
}
