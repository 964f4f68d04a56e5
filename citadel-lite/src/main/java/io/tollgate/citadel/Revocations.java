package io.tollgate.citadel;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serial numbers the CA refuses for renewal: {@code revoked-serials.txt} in the state directory,
 * one hexadecimal serial per line ({@code #} starts a comment). Written by {@code tollgate ca
 * revoke}; the CA rereads it when it changes, so a revocation takes effect at the next renewal
 * without a restart. (Connections between workloads are not affected: revocation here stops a
 * stolen certificate from being renewed; its remaining lifetime is what short TTLs bound.)
 */
public final class Revocations {
  private static final Logger log = LoggerFactory.getLogger(Revocations.class);

  private final Path file;
  private volatile Set<BigInteger> serials = Set.of();
  private volatile FileTime loaded;

  public Revocations(Path stateDir) {
    this.file = stateDir.resolve("revoked-serials.txt");
  }

  public boolean isRevoked(BigInteger serial) {
    refresh();
    return serials.contains(serial);
  }

  /** Appends {@code serial}; the running CA picks it up on its next check. */
  public void revoke(BigInteger serial, String why) throws IOException {
    Files.writeString(
        file,
        serial.toString(16) + "  # " + why.replaceAll("[\\r\\n]", " ") + "\n",
        StandardCharsets.US_ASCII,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND,
        StandardOpenOption.WRITE);
  }

  private void refresh() {
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      if (modified.equals(loaded)) {
        return;
      }
      Set<BigInteger> read = new HashSet<>();
      int lineNo = 0;
      for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
        lineNo++;
        String s = line.replaceAll("#.*", "").trim();
        if (s.isEmpty()) {
          continue;
        }
        try {
          read.add(new BigInteger(s.replace(":", ""), 16));
        } catch (NumberFormatException e) {
          log.error(
              "{}:{}: '{}' is not a hexadecimal serial number; line ignored", file, lineNo, s);
        }
      }
      serials = Set.copyOf(read);
      loaded = modified;
    } catch (NoSuchFileException e) {
      serials = Set.of();
      loaded = null;
    } catch (IOException e) {
      log.error(
          "cannot read {}; the revocations read before stay in force: {}", file, e.getMessage());
    }
  }
}
