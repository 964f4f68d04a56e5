package io.tollgate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code ProxyClient} sends plain HTTP/1.1 requests to a proxy on 127.0.0.1 with the Host header a
 * test chooses, as a client of the mesh would. Setting Host needs the JVM started with {@code
 * -Djdk.httpclient.allowRestrictedHeaders=host} (the integration tests' argLine).
 */
public final class ProxyClient {
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private ProxyClient() {}

  /** {@code method path} with {@code Host: host}, an optional body and header name/value pairs. */
  public static HttpResponse<String> send(
      int port, String method, String host, String path, String body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(15))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (host != null) {
      b.header("host", host);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(
          method + " " + path + " to 127.0.0.1:" + port + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** GET {@code path} with {@code Host: host}. */
  public static HttpResponse<String> get(int port, String host, String path, String... headers) {
    return send(port, "GET", host, path, null, headers);
  }
}
