package io.tollgate.adapters.builtin.list;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code CidrMatcher} matches IP addresses against addresses and CIDR ranges. Parsing accepts only
 * literal addresses: a host name is an error, never a DNS lookup. IPv4-mapped IPv6 values ({@code
 * ::ffff:10.1.2.3}) match IPv4 ranges.
 */
final class CidrMatcher implements Matcher {
  private record Range(byte[] network, int bits) {}

  private final List<Range> v4;
  private final List<Range> v6;

  private CidrMatcher(List<Range> v4, List<Range> v6) {
    this.v4 = List.copyOf(v4);
    this.v6 = List.copyOf(v6);
  }

  /** A builder; entries that do not parse are reported by {@link Builder#add}. */
  static Builder builder() {
    return new Builder();
  }

  static final class Builder {
    private final List<Range> v4 = new ArrayList<>();
    private final List<Range> v6 = new ArrayList<>();

    /** Adds an address or range; returns an error message, or {@code null} if it parsed. */
    String add(String entry) {
      String e = entry.trim();
      int slash = e.indexOf('/');
      String addr = slash < 0 ? e : e.substring(0, slash);
      byte[] bytes = parseLiteral(addr);
      if (bytes == null) {
        return "'" + entry + "' is not an IP address or CIDR range";
      }
      int max = bytes.length * 8;
      int bits = max;
      if (slash >= 0) {
        try {
          bits = Integer.parseInt(e.substring(slash + 1));
        } catch (NumberFormatException ex) {
          bits = -1;
        }
        if (bits < 0 || bits > max) {
          return "'" + entry + "' has an invalid prefix length (0-" + max + ")";
        }
      }
      (bytes.length == 4 ? v4 : v6).add(new Range(mask(bytes, bits), bits));
      return null;
    }

    CidrMatcher build() {
      return new CidrMatcher(v4, v6);
    }
  }

  @Override
  public boolean contains(String value) {
    if (value == null || value.isEmpty()) {
      return false;
    }
    byte[] ip = parseLiteral(value.trim());
    if (ip == null) {
      return false;
    }
    if (ip.length == 16 && isV4Mapped(ip)) {
      ip = java.util.Arrays.copyOfRange(ip, 12, 16);
    }
    for (Range r : ip.length == 4 ? v4 : v6) {
      if (inRange(ip, r)) {
        return true;
      }
    }
    return false;
  }

  private static boolean inRange(byte[] ip, Range r) {
    int full = r.bits / 8;
    for (int i = 0; i < full; i++) {
      if (ip[i] != r.network[i]) {
        return false;
      }
    }
    int rest = r.bits % 8;
    if (rest == 0) {
      return true;
    }
    int m = (0xFF << (8 - rest)) & 0xFF;
    return (ip[full] & m) == (r.network[full] & 0xFF);
  }

  private static byte[] mask(byte[] b, int bits) {
    byte[] out = b.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, bits - i * 8));
      out[i] = (byte) (out[i] & ((0xFF << (8 - keep)) & 0xFF));
    }
    return out;
  }

  private static boolean isV4Mapped(byte[] ip) {
    for (int i = 0; i < 10; i++) {
      if (ip[i] != 0) {
        return false;
      }
    }
    return ip[10] == (byte) 0xFF && ip[11] == (byte) 0xFF;
  }

  /** Parses a literal IPv4 or IPv6 address; {@code null} for anything else (no DNS). */
  static byte[] parseLiteral(String s) {
    if (s.isEmpty() || s.length() > 45) {
      return null;
    }
    String a = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    int pct = a.indexOf('%');
    if (pct >= 0) {
      a = a.substring(0, pct);
    }
    if (a.indexOf(':') >= 0) {
      for (int i = 0; i < a.length(); i++) {
        char c = a.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
          return null;
        }
      }
    } else {
      String[] parts = a.split("\\.", -1);
      if (parts.length != 4) {
        return null;
      }
      byte[] out = new byte[4];
      for (int i = 0; i < 4; i++) {
        if (parts[i].isEmpty()
            || parts[i].length() > 3
            || !parts[i].chars().allMatch(Character::isDigit)) {
          return null;
        }
        int v = Integer.parseInt(parts[i]);
        if (v > 255) {
          return null;
        }
        out[i] = (byte) v;
      }
      return out;
    }
    try {
      // Only hex digits, colons and dots reach here, so this cannot trigger a DNS lookup.
      return InetAddress.getByName(a).getAddress();
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }
}
