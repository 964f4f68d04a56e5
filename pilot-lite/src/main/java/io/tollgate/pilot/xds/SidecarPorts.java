package io.tollgate.pilot.xds;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where an Envoy sidecar listens: the inbound listener (requests to the workload, redirected there
 * by {@code istio-iptables -z}) on {@code inboundAddress:inboundPort}, and the outbound listener
 * (the workload's own calls, {@code istio-iptables -p}) on {@code 127.0.0.1:outboundPort}.
 *
 * <p>A sidecar names its own in its node metadata ({@value #INBOUND_PORT}, {@value #OUTBOUND_PORT},
 * {@value #INBOUND_ADDRESS}, strings or numbers, each optional), so that two sidecars on one host,
 * or pods whose redirect uses other ports, each get listeners where their traffic arrives; keys
 * left out take the server's defaults. Values are checked, never guessed: a bad one is an {@link
 * IllegalArgumentException} naming the key and the value. The inbound address is an IP literal the
 * redirected traffic reaches (the wildcard {@code 0.0.0.0} or {@code ::}, or the pod's IP).
 */
public record SidecarPorts(int inboundPort, int outboundPort, String inboundAddress) {
  public static final String INBOUND_PORT = "TOLLGATE_INBOUND_PORT";
  public static final String OUTBOUND_PORT = "TOLLGATE_OUTBOUND_PORT";
  public static final String INBOUND_ADDRESS = "TOLLGATE_INBOUND_ADDRESS";

  /** Istio's ports: inbound 15006 on every address, outbound 15001. */
  public static final SidecarPorts DEFAULT = new SidecarPorts(15006, 15001, "0.0.0.0");

  private static final String ADDRESS_KEY = "node metadata " + INBOUND_ADDRESS;

  public SidecarPorts {
    check("the inbound port", inboundPort);
    check("the outbound port", outboundPort);
    if (inboundPort == outboundPort) {
      throw new IllegalArgumentException(
          "the inbound and the outbound port are both " + inboundPort + "; they must differ");
    }
    address("the inbound address", inboundAddress);
  }

  /**
   * This sidecar's ports: each key of {@code metadata} that is set replaces the one of {@code
   * defaults}.
   */
  public static SidecarPorts fromMetadata(Struct metadata, SidecarPorts defaults) {
    Value in = metadata.getFieldsMap().get(INBOUND_PORT);
    Value out = metadata.getFieldsMap().get(OUTBOUND_PORT);
    Value address = metadata.getFieldsMap().get(INBOUND_ADDRESS);
    return new SidecarPorts(
        in == null ? defaults.inboundPort() : port("node metadata " + INBOUND_PORT, in),
        out == null ? defaults.outboundPort() : port("node metadata " + OUTBOUND_PORT, out),
        address == null
            ? defaults.inboundAddress()
            : address(ADDRESS_KEY, text(ADDRESS_KEY, address)));
  }

  private static int port(String what, Value v) {
    if (v.hasNumberValue()) {
      double d = v.getNumberValue();
      if (d != Math.rint(d) || d < 1 || d > 65535) {
        throw new IllegalArgumentException(
            what + ": " + v.getNumberValue() + " is not a port (1-65535)");
      }
      return (int) d;
    }
    return port(what, text(what, v));
  }

  /**
   * {@code text} as a port (1-65535, decimal digits only); {@code what} names where it was written,
   * for the message.
   */
  public static int port(String what, String text) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(what + ": '" + text + "' is not a port (1-65535)");
    }
    int p = Integer.parseInt(text);
    check(what, p);
    return p;
  }

  private static void check(String what, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + ": " + port + " is not a port (1-65535)");
    }
  }

  private static String text(String what, Value v) {
    if (!v.hasStringValue()) {
      throw new IllegalArgumentException(
          what
              + ": expected a string or a number, not "
              + v.getKindCase().name().toLowerCase(java.util.Locale.ROOT).replace("_value", ""));
    }
    return v.getStringValue();
  }

  /**
   * An IPv4 or IPv6 literal, never a name: Envoy binds listeners to addresses, and resolving a name
   * here would hang on DNS and bind wherever it pointed at the time.
   */
  public static String address(String what, String text) {
    if (text == null || !isIpLiteral(text)) {
      throw new IllegalArgumentException(
          what + ": '" + text + "' is not an IP address (e.g. 0.0.0.0, :: or the pod's IP)");
    }
    return text;
  }

  static boolean isIpLiteral(String s) {
    if (s.isEmpty() || s.length() > 45) {
      return false;
    }
    if (s.indexOf(':') < 0) {
      String[] parts = s.split("\\.", -1);
      if (parts.length != 4) {
        return false;
      }
      for (String p : parts) {
        if (p.isEmpty()
            || p.length() > 3
            || !p.chars().allMatch(c -> c >= '0' && c <= '9')
            || Integer.parseInt(p) > 255) {
          return false;
        }
      }
      return true;
    }
    if (!s.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
      return false;
    }
    try {
      // In brackets the JDK parses an IPv6 literal and never falls back to a name lookup.
      InetAddress.getByName("[" + s + "]");
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
