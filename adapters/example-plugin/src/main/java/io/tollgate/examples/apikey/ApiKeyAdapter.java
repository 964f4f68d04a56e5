package io.tollgate.examples.apikey;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.Params;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code ApiKeyAdapter} validates API keys. Params: {@code keyFile} (required; lines of {@code
 * <sha256-hex-of-key> <client-name>}, {@code #} comments), {@code header} (the upstream header that
 * receives the client name, default {@code x-client-id}), {@code status} (for a missing or unknown
 * key, default 401). The instance is a {@code listentry} whose value is the presented key. Only
 * hashes are stored, and they are compared in constant time.
 */
public final class ApiKeyAdapter implements Adapter {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:@/-]{1,128}");

  @Override
  public String name() {
    return "apikey";
  }

  @Override
  public String description() {
    return "validates API keys against a file of SHA-256 hashes and names the client upstream";
  }

  @Override
  public Set<String> templates() {
    return Set.of("listentry");
  }

  /** One known key. */
  private record Client(byte[] hash, String name) {}

  @Override
  public Handler build(HandlerSpec spec) {
    Params p = spec.params();
    p.rejectUnknown(Set.of("keyFile", "header", "status"));
    String header = p.string("header", "x-client-id");
    long status = p.integer("status", 401);
    if (status < 400 || status > 599) {
      p.errors().add("status", "must be 400-599");
    }
    String keyFile = p.string("keyFile", null);
    if (keyFile == null) {
      p.errors().add("keyFile", "required: the file of '<sha256-hex> <client-name>' lines");
      return null;
    }
    List<Client> clients = new java.util.ArrayList<>();
    Path path = spec.file(keyFile);
    List<String> lines;
    try {
      lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      p.errors().add("keyFile", "cannot read " + keyFile + ": " + e);
      return null;
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2
          || !HEX64.matcher(parts[0]).matches()
          || !NAME.matcher(parts[1]).matches()) {
        p.errors()
            .add(
                "keyFile",
                keyFile
                    + " line "
                    + (i + 1)
                    + ": expected '<64 hex digits of SHA-256> <client-name>'");
        continue;
      }
      clients.add(new Client(HexFormat.of().parseHex(parts[0]), parts[1]));
    }
    return new KeyHandler(List.copyOf(clients), header, (int) status);
  }

  /** Checks keys. Immutable. */
  private record KeyHandler(List<Client> clients, String header, int status)
      implements CheckHandler {
    @Override
    public CheckResult check(Instance instance, Attributes attributes) {
      String key = instance.string("value");
      if (key == null || key.isEmpty()) {
        return CheckResult.deny(status, "missing API key");
      }
      byte[] hash = sha256(key);
      Client found = null;
      for (Client c : clients) {
        // Look at every entry so the time taken does not tell which one matched.
        if (MessageDigest.isEqual(c.hash(), hash) && found == null) {
          found = c;
        }
      }
      if (found == null) {
        return CheckResult.deny(status, "invalid API key");
      }
      return CheckResult.ok(List.of(HeaderOp.replace(header, found.name())), List.of());
    }
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }
}
