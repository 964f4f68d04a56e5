package io.tollgate.pilot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.tollgate.pilot.xds.SidecarPorts;
import org.junit.jupiter.api.Test;

/**
 * A sidecar's ports from its node metadata: strings or numbers, defaults for what is left out,
 * every bad value refused by name.
 */
class SidecarPortsTest {
  static Struct metadata(Object... keysAndValues) {
    Struct.Builder b = Struct.newBuilder();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      Object v = keysAndValues[i + 1];
      b.putFields(
          (String) keysAndValues[i],
          v instanceof Number n
              ? Value.newBuilder().setNumberValue(n.doubleValue()).build()
              : v instanceof Value value
                  ? value
                  : Value.newBuilder().setStringValue((String) v).build());
    }
    return b.build();
  }

  @Test
  void keysLeftOutTakeTheDefaultsAndStringsAndNumbersBothWork() {
    assertThat(
            SidecarPorts.fromMetadata(
                metadata("TOLLGATE_SERVICE", "reviews.shop"), SidecarPorts.DEFAULT))
        .isEqualTo(new SidecarPorts(15006, 15001, "0.0.0.0"));
    SidecarPorts defaults = new SidecarPorts(16006, 16001, "::");
    assertThat(SidecarPorts.fromMetadata(metadata(SidecarPorts.INBOUND_PORT, "17006"), defaults))
        .isEqualTo(new SidecarPorts(17006, 16001, "::"));
    assertThat(
            SidecarPorts.fromMetadata(
                metadata(
                    SidecarPorts.INBOUND_PORT,
                    17006,
                    SidecarPorts.OUTBOUND_PORT,
                    17001,
                    SidecarPorts.INBOUND_ADDRESS,
                    "10.1.2.3"),
                defaults))
        .isEqualTo(new SidecarPorts(17006, 17001, "10.1.2.3"));
    assertThat(
            SidecarPorts.fromMetadata(metadata(SidecarPorts.INBOUND_ADDRESS, "fd00::7"), defaults)
                .inboundAddress())
        .isEqualTo("fd00::7");
  }

  @Test
  void aBadValueIsRefusedWithItsKeyAndValue() {
    assertRefused(
        metadata(SidecarPorts.INBOUND_PORT, "http"),
        "node metadata TOLLGATE_INBOUND_PORT: 'http' is not a port (1-65535)");
    assertRefused(
        metadata(SidecarPorts.INBOUND_PORT, "0"),
        "node metadata TOLLGATE_INBOUND_PORT: 0 is not a port (1-65535)");
    assertRefused(
        metadata(SidecarPorts.OUTBOUND_PORT, "65536"),
        "node metadata TOLLGATE_OUTBOUND_PORT: 65536 is not a port (1-65535)");
    assertRefused(
        metadata(SidecarPorts.OUTBOUND_PORT, " 15001"),
        "node metadata TOLLGATE_OUTBOUND_PORT: ' 15001' is not a port");
    assertRefused(
        metadata(SidecarPorts.OUTBOUND_PORT, "-1"),
        "node metadata TOLLGATE_OUTBOUND_PORT: '-1' is not a port");
    assertRefused(
        metadata(SidecarPorts.INBOUND_PORT, 15006.5),
        "node metadata TOLLGATE_INBOUND_PORT: 15006.5 is not a port");
    assertRefused(
        metadata(SidecarPorts.INBOUND_PORT, 1e9),
        "node metadata TOLLGATE_INBOUND_PORT: 1.0E9 is not a port");
    assertRefused(
        metadata(SidecarPorts.INBOUND_PORT, Value.newBuilder().setBoolValue(true).build()),
        "node metadata TOLLGATE_INBOUND_PORT: expected a string or a number, not bool");
    assertRefused(
        metadata(
            SidecarPorts.INBOUND_ADDRESS,
            Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build()),
        "node metadata TOLLGATE_INBOUND_ADDRESS: expected a string or a number, not null");
    assertRefused(
        metadata(SidecarPorts.INBOUND_PORT, "15001"),
        "the inbound and the outbound port are both 15001; they must differ");
    for (String address :
        new String[] {
          "localhost",
          "reviews.shop",
          "256.0.0.1",
          "10.0.0",
          "10.0.0.1.2",
          "",
          "fe80::zz",
          "1::2::3",
          "10.0.0.1/8",
          "fe80::1%eth0"
        }) {
      assertRefused(
          metadata(SidecarPorts.INBOUND_ADDRESS, address),
          "node metadata TOLLGATE_INBOUND_ADDRESS: '" + address + "' is not an IP address");
    }
  }

  @Test
  void theDefaultsThemselvesAreChecked() {
    assertThatThrownBy(() -> new SidecarPorts(15006, 15006, "0.0.0.0"))
        .hasMessageContaining("both 15006");
    assertThatThrownBy(() -> new SidecarPorts(70000, 15001, "0.0.0.0"))
        .hasMessageContaining("70000 is not a port");
    assertThatThrownBy(() -> new SidecarPorts(15006, 15001, "any"))
        .hasMessageContaining("'any' is not an IP address");
    assertThatThrownBy(() -> SidecarPorts.port("--sidecar-inbound-port", "-3"))
        .hasMessage("--sidecar-inbound-port: '-3' is not a port (1-65535)");
  }

  static void assertRefused(Struct metadata, String message) {
    assertThatThrownBy(() -> SidecarPorts.fromMetadata(metadata, SidecarPorts.DEFAULT))
        .as("%s", metadata)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }
}
