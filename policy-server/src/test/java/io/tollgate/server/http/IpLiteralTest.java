package io.tollgate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "::",
        "::1",
        "2001:db8::1",
        "2001:0db8:0000:0000:0000:ff00:0042:8329",
        "fe80::",
        "::ffff:10.0.0.1",
        "64:ff9b::192.0.2.33",
        "1:2:3:4:5:6:7::"
      })
  void addressesAreLiterals(String s) {
    assertThat(IpLiteral.is(s)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "localhost",
        "example.com",
        "10.0.0",
        "10.0.0.1.2",
        "10.0.0.256",
        "010.0.0.1",
        "1",
        "0x7f.0.0.1",
        "10.0.0.1 ",
        "[::1]",
        "::1%eth0",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        ":1:2",
        "1:2:",
        "12345::1",
        "g::1",
        "10.0.0.1:8080",
        "1:2:3:4:5:6:7:1.2.3.4"
      })
  void othersAreNot(String s) {
    assertThat(IpLiteral.is(s)).isFalse();
  }
}
