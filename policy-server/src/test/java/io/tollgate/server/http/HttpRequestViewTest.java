package io.tollgate.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a trusted {@code X-Forwarded-For} may make of {@code source.ip}. */
class HttpRequestViewTest {
  private static HttpRequestView envoy(String forwardedFor, boolean trusted) {
    Map<String, String> headers = new HashMap<>();
    headers.put("x-forwarded-for", forwardedFor);
    return HttpRequestView.envoy("GET", "/x", headers, "127.0.0.1", "HTTP/1.1", trusted);
  }

  @Test
  void aTrustedForwardedForGivesItsFirstEntry() {
    assertThat(envoy(" 203.0.113.7 , 10.0.0.1", true).sourceIp()).isEqualTo("203.0.113.7");
    assertThat(envoy("2001:db8::1", true).sourceIp()).isEqualTo("2001:db8::1");
    assertThat(envoy("not-an-ip", false).sourceIp())
        .as("untrusted: the peer")
        .isEqualTo("127.0.0.1");
  }

  @Test
  void aTrustedForwardedForThatIsNoAddressIsRefused() {
    for (String bad : new String[] {",", "", " , 10.0.0.1", "evil.example.com", "1.2.3.4:80"}) {
      assertThatThrownBy(() -> envoy(bad, true))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith(
              "the first X-Forwarded-For entry must be an IPv4 or IPv6 address");
    }
  }
}
