package io.tollgate.server.attributes;

/**
 * {@code PathNormalizer} gives {@code request.url_path}: the request path as Envoy forwards it with
 * {@code normalize_path}, {@code merge_slashes} and {@code path_with_escaped_slashes_action:
 * UNESCAPE_AND_REDIRECT} (Istio's settings), so that a rule on {@code /admin} also holds for {@code
 * //admin}, {@code /./admin}, {@code /%61dmin} and {@code /x/../admin}, whether or not the proxy
 * normalized the path first. Without that, every spelling a backend resolves to the same resource
 * is a way around a rule.
 *
 * <p>The path ends at the query ({@code ?}). Then, in this order:
 *
 * <ol>
 *   <li>percent-escapes of unreserved characters ({@code A-Z a-z 0-9 - . _ ~}) are decoded, other
 *       escapes have their hex digits upper-cased (RFC 3986 6.2.2.1, 6.2.2.2);
 *   <li>{@code %2F}, {@code %5C} and {@code \} become {@code /}: backends that decode them, or
 *       treat a backslash as a separator (IIS, some Java and Node servers), would otherwise serve a
 *       path the rules never saw. Envoy redirects such a request to the unescaped path, so what a
 *       rule sees here is what the follow-up request carries;
 *   <li>runs of slashes become one (as nginx and Go's {@code path.Clean} do before dot segments, so
 *       that {@code /x//../admin} is {@code /admin} as those backends serve it);
 *   <li>dot segments are removed (RFC 3986 5.2.4, 6.2.2.3); a trailing dot segment leaves a
 *       trailing slash.
 * </ol>
 *
 * <p>A path that cannot be normalized safely gives {@code null}, and {@link PathGuard} refuses the
 * request with 400, as Envoy does for a path it cannot normalize: a malformed escape ({@code %zz},
 * a lone {@code %}; IIS reads {@code %u0061} as {@code a}), an encoded NUL, a control character, a
 * fragment ({@code #}; Envoy rejects it too), a {@code ..} above the root (no client sends it; it
 * is a probe), a dot segment with parameters ({@code ..;x}, which Tomcat and Spring resolve as
 * {@code ..}), or a path that does not start with {@code /}. Segment parameters ({@code /a;v=1/b})
 * are otherwise kept, as RFC 3986 and Envoy keep them. Case is never changed.
 *
 * <p>An already normal path, the common case, costs one scan and allocates nothing (or only the
 * substring before the query). Stateless and thread-safe.
 */
public final class PathNormalizer {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /** ASCII characters that never make a path abnormal: all but controls, DEL and / % \ #. */
  private static final boolean[] PLAIN = new boolean[128];

  static {
    for (char c = 0x20; c < 0x7f; c++) {
      PLAIN[c] = c != '/' && c != '%' && c != '\\' && c != '#';
    }
  }

  private PathNormalizer() {}

  /**
   * The normalized path of {@code path} (with or without its query), without the query; {@code
   * null} when {@code path} is null or empty, or cannot be normalized (see the class comment).
   */
  public static String normalize(String path) {
    if (path == null || path.isEmpty()) {
      return null;
    }
    int end = path.indexOf('?');
    if (end < 0) {
      end = path.length();
    }
    if (end == 0) {
      return "/";
    }
    if (path.charAt(0) != '/') {
      return null;
    }
    if (isNormal(path, end)) {
      return end == path.length() ? path : path.substring(0, end);
    }
    StringBuilder decoded = decode(path, end);
    return decoded == null ? null : resolve(decoded);
  }

  /** The path up to its query as sent: {@code request.url_path_raw}. */
  public static String raw(String path) {
    if (path == null) {
      return null;
    }
    int q = path.indexOf('?');
    return q < 0 ? path : path.substring(0, q);
  }

  /**
   * Whether {@code path[0, end)} is already what {@link #normalize} returns: no escape to decode or
   * upper-case, no backslash, no empty or dot segment (bare or with parameters), nothing invalid.
   */
  private static boolean isNormal(String path, int end) {
    for (int i = 0; i < end; i++) {
      char c = path.charAt(i);
      if (c >= 128 || PLAIN[c]) {
        continue;
      }
      if (c == '/') {
        if (i + 1 < end && path.charAt(i + 1) == '/' || isDotSegment(path, i + 1, end)) {
          return false;
        }
      } else if (c == '%') {
        if (i + 2 >= end) {
          return false;
        }
        int hi = upperHex(path.charAt(i + 1));
        int lo = upperHex(path.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          return false;
        }
        int v = hi << 4 | lo;
        if (v == 0 || v == '/' || v == '\\' || isUnreserved(v)) {
          return false;
        }
        i += 2;
      } else if (c == '\\' || c == '#' || c < 0x20 || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** Whether the segment at {@code start} is {@code .} or {@code ..}, with or without {@code ;}. */
  private static boolean isDotSegment(CharSequence s, int start, int end) {
    int dots = 0;
    int i = start;
    while (i < end && s.charAt(i) == '.' && dots < 3) {
      dots++;
      i++;
    }
    return (dots == 1 || dots == 2) && (i == end || s.charAt(i) == '/' || s.charAt(i) == ';');
  }

  /**
   * Steps 1 and 2: escapes decoded or upper-cased, slashes unescaped, backslashes made slashes;
   * {@code null} for an escape, character or fragment that makes the path unsafe to normalize.
   */
  private static StringBuilder decode(String path, int end) {
    StringBuilder out = new StringBuilder(end);
    for (int i = 0; i < end; i++) {
      char c = path.charAt(i);
      if (c == '%') {
        int hi = i + 2 < end ? hex(path.charAt(i + 1)) : -1;
        int lo = i + 2 < end ? hex(path.charAt(i + 2)) : -1;
        if (hi < 0 || lo < 0) {
          return null;
        }
        int v = hi << 4 | lo;
        if (v == 0) {
          return null;
        }
        if (v == '/' || v == '\\') {
          out.append('/');
        } else if (isUnreserved(v)) {
          out.append((char) v);
        } else {
          out.append('%').append(HEX[hi]).append(HEX[lo]);
        }
        i += 2;
      } else if (c == '\\') {
        out.append('/');
      } else if (c == '#' || c < 0x20 || c == 0x7f) {
        return null;
      } else {
        out.append(c);
      }
    }
    return out;
  }

  /**
   * Steps 3 and 4 on a decoded path that starts with {@code /}: slashes merged, dot segments
   * removed; {@code null} for {@code ..} above the root or a dot segment with parameters.
   */
  private static String resolve(CharSequence p) {
    StringBuilder out = new StringBuilder(p.length());
    int n = p.length();
    int i = 0;
    boolean trailingSlash = false;
    while (i < n) {
      while (i < n && p.charAt(i) == '/') {
        i++;
      }
      int start = i;
      while (i < n && p.charAt(i) != '/') {
        i++;
      }
      int len = i - start;
      trailingSlash = i < n || len == 0;
      if (len == 0) {
        break;
      }
      if (isDotSegment(p, start, i)) {
        boolean bare = len == 1 || len == 2 && p.charAt(start + 1) == '.';
        if (!bare) {
          return null;
        }
        if (len == 2) {
          int last = out.lastIndexOf("/");
          if (last < 0) {
            return null;
          }
          out.setLength(last);
        }
        trailingSlash = true;
        continue;
      }
      out.append('/').append(p, start, i);
    }
    if (trailingSlash || out.length() == 0) {
      out.append('/');
    }
    return out.toString();
  }

  private static boolean isUnreserved(int c) {
    return c >= 'a' && c <= 'z'
        || c >= 'A' && c <= 'Z'
        || c >= '0' && c <= '9'
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  /** A hex digit's value, either case; -1 for anything else. */
  private static int hex(char c) {
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return upperHex(c);
  }

  /** A digit or upper-case hex digit's value; -1 for anything else (lower case too). */
  private static int upperHex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
