package io.tollgate.pilot;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.tollgate.pilot.xds.Translator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code Snapshots} makes java-control-plane snapshots of translated resources, versioned by their
 * content: the same resources always get the same version, so a version changes only when what it
 * carries does.
 */
final class Snapshots {
  private Snapshots() {}

  /** The snapshot of {@code r} and {@code secrets}, versioned by both. */
  static Snapshot of(Translator.Resources r, List<Secret> secrets) {
    return of(r, secrets, digest(r) + secretsDigest(secrets));
  }

  static Snapshot of(Translator.Resources r, List<Secret> secrets, String version) {
    return Snapshot.create(
        r.clusters(), r.endpoints(), r.listeners(), r.routes(), secrets, version);
  }

  /** The first 8 bytes of the SHA-256 of the resources, in hex. */
  static String digest(Translator.Resources r) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (List<? extends Message> list :
          List.of(r.listeners(), r.routes(), r.clusters(), r.endpoints())) {
        for (var m : list) {
          md.update(m.toByteArray());
        }
      }
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String secretsDigest(List<Secret> secrets) {
    return secrets.isEmpty() ? "" : "-" + Integer.toHexString(secrets.hashCode());
  }
}
