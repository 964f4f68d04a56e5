package io.tollgate.server.http;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tollgate.server.attributes.EveryAttribute;
import io.tollgate.testing.InputTimeout;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fuzzes the HTTP check's request reading at the level that takes a method, a URI, a protocol and
 * headers ({@link HttpRequestView#envoy} and {@link HttpRequestView#nginx}), below any HTTP server:
 * the input is the head of an HTTP/1.1 request as Envoy's HTTP service or nginx's {@code
 * auth_request} sends it (request line, then {@code name: value} lines), split here the way an HTTP
 * server splits it (names lower case, repeated headers joined with {@code ,}). A request to {@value
 * HttpCheckHandler#NGINX_PATH} is read as nginx's, any other as Envoy's, with and without trusting
 * {@code X-Forwarded-For}; every attribute is then derived ({@link EveryAttribute}).
 *
 * <p>The documented bad input is {@link IllegalArgumentException} (the endpoint answers 400 with
 * its message): a URI that does not start with {@code /}, nginx's headers missing. Anything else
 * fails.
 *
 * <p>The corpus ({@code HttpRequestViewFuzzTestInputs/read}) holds requests as the HTTP check tests
 * send them, for both kinds of caller.
 */
@ExtendWith(InputTimeout.class)
class HttpRequestViewFuzzTest {
  private static final String PEER = "127.0.0.1";

  @FuzzTest(maxDuration = "30s")
  void read(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    int end = text.indexOf("\r\n\r\n");
    String[] lines = (end < 0 ? text : text.substring(0, end)).split("\r\n");
    String[] requestLine = lines.length == 0 ? new String[0] : lines[0].split(" ", -1);
    if (requestLine.length != 3) {
      return; // not a request line: the HTTP server answers 400 before the view is made
    }
    String method = requestLine[0];
    String uri = requestLine[1];
    String protocol = requestLine[2];
    String path = uri.indexOf('?') < 0 ? uri : uri.substring(0, uri.indexOf('?'));
    if (path.equals(HttpCheckHandler.NGINX_PATH)) {
      read(() -> HttpRequestView.nginx(headers(lines), PEER));
    } else {
      read(() -> HttpRequestView.envoy(method, uri, headers(lines), PEER, protocol, false));
      read(() -> HttpRequestView.envoy(method, uri, headers(lines), PEER, protocol, true));
    }
  }

  /** How a view is made from the request. */
  private interface ViewFactory {
    HttpRequestView make();
  }

  private static void read(ViewFactory factory) {
    HttpRequestView view;
    try {
      view = factory.make();
    } catch (IllegalArgumentException e) {
      return;
    }
    EveryAttribute.read(view);
  }

  /** The header lines after the request line, as a server hands them over. */
  private static Map<String, String> headers(String[] lines) {
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        continue; // a server refuses the request, or skips the line
      }
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      headers.merge(name, value, (a, b) -> a + "," + b);
    }
    return headers;
  }
}
