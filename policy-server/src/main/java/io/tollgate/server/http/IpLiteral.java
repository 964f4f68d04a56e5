package io.tollgate.server.http;

/**
 * {@code IpLiteral} tells whether a string is an IP address written out: IPv4 dotted quad ({@code
 * 10.0.0.1}, no leading zeros, which some parsers read as octal) or IPv6 ({@code 2001:db8::1},
 * {@code ::ffff:10.0.0.1}), without brackets, port or zone. It is a check of characters only, never
 * a name lookup: {@code InetAddress.getByName} would resolve a host name a client sent.
 */
final class IpLiteral {
  private IpLiteral() {}

  static boolean is(String s) {
    return s.indexOf(':') >= 0 ? isV6(s) : isV4(s, 0, s.length());
  }

  private static boolean isV4(String s, int from, int to) {
    int parts = 0;
    int i = from;
    while (i <= to) {
      int start = i;
      int value = 0;
      while (i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 3) {
        value = value * 10 + (s.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
        return false;
      }
      parts++;
      if (i == to) {
        return parts == 4;
      }
      if (s.charAt(i) != '.' || parts == 4) {
        return false;
      }
      i++;
    }
    return false;
  }

  private static boolean isV6(String s) {
    int n = s.length();
    if (n < 2 || n > 45) {
      return false;
    }
    int groups = 0;
    boolean compressed = false;
    int i = 0;
    if (s.startsWith("::")) {
      compressed = true;
      i = 2;
      if (i == n) {
        return true;
      }
    } else if (s.charAt(0) == ':') {
      return false;
    }
    while (i < n) {
      int start = i;
      while (i < n && Character.digit(s.charAt(i), 16) >= 0 && i - start < 4) {
        i++;
      }
      if (i < n && s.charAt(i) == '.') {
        // An IPv4 tail takes the last two groups.
        return isV4(s, start, n) && (compressed ? groups + 2 <= 7 : groups + 2 == 8);
      }
      if (i == start) {
        return false;
      }
      groups++;
      if (i == n) {
        break;
      }
      if (s.charAt(i) != ':') {
        return false;
      }
      i++;
      if (i < n && s.charAt(i) == ':') {
        if (compressed) {
          return false;
        }
        compressed = true;
        i++;
        if (i == n) {
          break;
        }
      } else if (i == n) {
        return false;
      }
    }
    return compressed ? groups <= 7 : groups == 8;
  }
}
