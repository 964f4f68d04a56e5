package io.tollgate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.rules.Decider;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.server.CheckListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP check handler's answers for requests it cannot decide. */
class HttpCheckHandlerTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  private final HttpClient client = HttpClient.newHttpClient();
  private final AtomicReference<String> sourceIp = new AtomicReference<>();
  private HttpEndpoint endpoint;

  private void start(Decider decider) throws IOException {
    endpoint =
        HttpEndpoint.start(
            "check",
            new InetSocketAddress("127.0.0.1", 0),
            HttpLimits.checkDefaults(2),
            1,
            new HttpCheckHandler(decider, CheckListener.NONE, false, "", false, null, pool),
            HttpEndpointMetrics.unregistered());
  }

  @AfterEach
  void stop() {
    endpoint.close();
    pool.shutdownNow();
  }

  private HttpResponse<String> nginx(String remoteAddr) throws Exception {
    return client.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + endpoint.port() + HttpCheckHandler.NGINX_PATH))
            .header("X-Original-Method", "GET")
            .header("X-Original-URI", "/x")
            .header("X-Original-Remote-Addr", remoteAddr)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aDecisionThatThrowsIs500WithAnIdOnly() throws Exception {
    start(
        a -> {
          throw new NullPointerException("Cannot invoke \"String.length()\" in rule secret-rule");
        });
    HttpResponse<String> r = nginx("10.0.0.1");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.body())
        .matches(
            "\\{\"status\":500,\"message\":\"internal error \\(id [0-9a-f]{8}\\); the server log has the details\"}")
        .doesNotContain("secret");
  }

  @Test
  void theNginxRemoteAddressMustBeAnIpAddress() throws Exception {
    start(
        a -> {
          sourceIp.set(a.getString("source.ip"));
          return new PolicyDecision(true, 200, "", "", "", List.of(), List.of(), 1);
        });
    assertThat(nginx("2001:db8::7").statusCode()).isEqualTo(200);
    assertThat(sourceIp.get()).isEqualTo("2001:db8::7");

    for (String bad : new String[] {"attacker.example.com", "localhost", "10.0.0.1, 10.0.0.2"}) {
      HttpResponse<String> r = nginx(bad);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(r.body())
          .contains("X-Original-Remote-Addr must be an IPv4 or IPv6 address")
          .contains(bad);
    }
  }
}
