package io.tollgate.adapters.builtin.list;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CidrMatcherTest {
  private static CidrMatcher of(String... entries) {
    CidrMatcher.Builder b = CidrMatcher.builder();
    for (String e : entries) {
      assertThat(b.add(e)).isNull();
    }
    return b.build();
  }

  @Test
  void matchesIpv4RangesAtEveryPrefixLength() {
    CidrMatcher m = of("10.0.0.0/8", "192.168.1.128/25", "203.0.113.7", "172.16.0.0/12");
    assertThat(m.contains("10.255.1.2")).isTrue();
    assertThat(m.contains("11.0.0.1")).isFalse();
    assertThat(m.contains("192.168.1.200")).isTrue();
    assertThat(m.contains("192.168.1.100")).isFalse();
    assertThat(m.contains("203.0.113.7")).isTrue();
    assertThat(m.contains("203.0.113.8")).isFalse();
    assertThat(m.contains("172.31.255.255")).isTrue();
    assertThat(m.contains("172.32.0.0")).isFalse();
  }

  @Test
  void matchesIpv6AndIpv4MappedAddresses() {
    CidrMatcher m = of("2001:db8::/32", "10.0.0.0/8");
    assertThat(m.contains("2001:db8:1::5")).isTrue();
    assertThat(m.contains("2001:db9::1")).isFalse();
    assertThat(m.contains("::ffff:10.1.2.3")).isTrue();
  }

  @Test
  void zeroPrefixMatchesItsWholeFamily() {
    CidrMatcher m = of("0.0.0.0/0");
    assertThat(m.contains("8.8.8.8")).isTrue();
    assertThat(m.contains("2001:db8::1")).isFalse();
  }

  @Test
  void rejectsHostNamesAndBadPrefixesWithoutLookingThemUp() {
    CidrMatcher.Builder b = CidrMatcher.builder();
    assertThat(b.add("localhost")).contains("not an IP address");
    assertThat(b.add("10.0.0/8")).contains("not an IP address");
    assertThat(b.add("10.0.0.0/33")).contains("prefix length");
    assertThat(b.add("2001:db8::/129")).contains("prefix length");
    assertThat(b.add("256.1.1.1")).contains("not an IP address");
  }

  @Test
  void valuesThatAreNotAddressesNeverMatch() {
    CidrMatcher m = of("0.0.0.0/0");
    assertThat(m.contains("example.com")).isFalse();
    assertThat(m.contains("")).isFalse();
    assertThat(m.contains(null)).isFalse();
  }
}
