package io.tollgate.server.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code Addresses} checks the network addresses given on the command line while it is parsed, so
 * that a mistyped one is a usage error naming the option ({@code Invalid value for option
 * '--address': expected HOST:PORT ...}, exit 2) instead of a stack trace from deep in gRPC or Netty
 * when it is first used. Only the form is checked: whether a name resolves is found out when it is
 * dialled, and reported by the command.
 */
final class Addresses {
  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%\\w+)?");

  private Addresses() {}

  /** Whether {@code host} is a DNS name, an IPv4 address, or an IPv6 address (bare). */
  static boolean isHost(String host) {
    if (IPV4.matcher(host).matches() || (IPV6.matcher(host).matches() && host.contains(":"))) {
      return true;
    }
    if (host.isEmpty() || host.length() > 253) {
      return false;
    }
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  /** {@code HOST:PORT} to dial: a host ({@code [v6]} bracketed) and a port 1..65535. */
  static String hostPort(String value) {
    String hint = "expected HOST:PORT (e.g. 127.0.0.1:9091, [::1]:9091), not '" + value + "'";
    int colon = value.lastIndexOf(':');
    if (colon <= 0) {
      throw new TypeConversionException(hint);
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
      if (!host.contains(":") || !IPV6.matcher(host).matches()) {
        throw new TypeConversionException(hint);
      }
    } else if (host.contains(":") || !isHost(host)) {
      throw new TypeConversionException(hint);
    }
    port(value.substring(colon + 1), 1, hint);
    return value;
  }

  private static void port(String text, int min, String hint) {
    int port;
    try {
      port = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new TypeConversionException(hint);
    }
    if (port < min || port > 65535) {
      throw new TypeConversionException(hint + ": the port must be within " + min + "..65535");
    }
  }

  /** {@code --address}, {@code --ca-address}: {@link #hostPort}. */
  static final class HostPort implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      return hostPort(value);
    }
  }

  /** {@link HostPort}, or empty where empty means "none". */
  static final class HostPortOrEmpty implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      return value.isEmpty() ? value : hostPort(value);
    }
  }

  /** {@code --bind}: an address or host name to listen on, without a port. */
  static final class Bind implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (!isHost(value)) {
        throw new TypeConversionException(
            "expected an address to listen on (e.g. 127.0.0.1, 0.0.0.0, ::), not '" + value + "'");
      }
      return value;
    }
  }

  /** {@code --opa-url}: an absolute http or https URL with a host. */
  static final class HttpUrl implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String hint =
          "expected an http:// or https:// URL (e.g. http://127.0.0.1:8181), not '" + value + "'";
      if (value.isBlank()) {
        return value;
      }
      URI uri;
      try {
        uri = new URI(value);
      } catch (URISyntaxException e) {
        throw new TypeConversionException(hint);
      }
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new TypeConversionException(hint);
      }
      return value;
    }
  }
}
