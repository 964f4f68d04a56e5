package io.tollgate.citadel.agent;

import io.tollgate.citadel.Pem;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A workload's credentials on disk, swapped as one: each version lives in its own hidden directory,
 * {@code ..data} is a symbolic link to the current one and is replaced by a rename, and the names
 * readers open are links through it (the layout Kubernetes uses for projected volumes, which
 * Envoy's {@code watched_directory} and grpc-java's file watchers follow):
 *
 * <pre>
 * key.pem        -> ..data/key.pem          private key, 0600
 * cert-chain.pem -> ..data/cert-chain.pem   workload certificate, then intermediates
 * root-cert.pem  -> ..data/root-cert.pem    trust bundle
 * </pre>
 *
 * A reader never sees a key from one version with a certificate from another.
 */
public final class CertificateFiles {
  public static final String KEY = "key.pem";
  public static final String CHAIN = "cert-chain.pem";
  public static final String ROOT = "root-cert.pem";
  private static final String DATA = "..data";

  /** One version of the credentials. */
  public record Bundle(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> roots) {
    public X509Certificate certificate() {
      return chain.get(0);
    }
  }

  private final Path dir;

  public CertificateFiles(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  /** Writes a new version and switches to it atomically; older versions are removed. */
  public synchronized void write(
      PrivateKey key, List<X509Certificate> chain, List<X509Certificate> roots) throws IOException {
    Files.createDirectories(dir);
    String version = "..v" + Instant.now().toString().replace(':', '-') + "-" + System.nanoTime();
    Path versionDir =
        Files.createDirectory(
            dir.resolve(version),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Pem.writeAtomically(versionDir.resolve(KEY), Pem.encode(key), true);
    Pem.writeAtomically(versionDir.resolve(CHAIN), Pem.encode(chain), false);
    Pem.writeAtomically(versionDir.resolve(ROOT), Pem.encode(roots), false);
    Files.setPosixFilePermissions(versionDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path next = dir.resolve(DATA + ".next");
    Files.deleteIfExists(next);
    Files.createSymbolicLink(next, Path.of(version));
    Files.move(
        next,
        dir.resolve(DATA),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    for (String name : List.of(KEY, CHAIN, ROOT)) {
      Path link = dir.resolve(name);
      if (!Files.isSymbolicLink(link)) {
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of(DATA, name));
      }
    }
    try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "..v*")) {
      for (Path p : old) {
        if (!p.getFileName().toString().equals(version)
            && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          for (String name : List.of(KEY, CHAIN, ROOT)) {
            Files.deleteIfExists(p.resolve(name));
          }
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** The name of the current version, or empty when none was written. */
  public Optional<String> version() {
    try {
      return Optional.of(Files.readSymbolicLink(dir.resolve(DATA)).toString());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The current credentials, or empty when none were written or they cannot be read. */
  public Optional<Bundle> read() {
    try {
      Path data = dir.resolve(DATA).toRealPath();
      return Optional.of(
          new Bundle(
              Pem.readPrivateKey(data.resolve(KEY)),
              Pem.readCertificates(data.resolve(CHAIN)),
              Pem.readCertificates(data.resolve(ROOT))));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
