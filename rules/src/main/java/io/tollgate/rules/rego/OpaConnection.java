package io.tollgate.rules.rego;

import com.bisnode.opa.client.OpaClientException;
import com.bisnode.opa.client.OpaConfiguration;
import com.bisnode.opa.client.data.OpaDataClient;
import com.bisnode.opa.client.data.OpaDocument;
import com.bisnode.opa.client.policy.OpaPolicy;
import com.bisnode.opa.client.policy.OpaPolicyClient;
import com.bisnode.opa.client.query.OpaQueryClient;
import com.bisnode.opa.client.query.QueryForDocumentRequest;
import com.bisnode.opa.client.rest.ObjectMapperFactory;
import com.bisnode.opa.client.rest.OpaRestClient;
import com.bisnode.opa.client.rest.OpaServerConnectionException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code OpaConnection} is Tollgate's link to one OPA server, through opa-java-client: policy
 * modules and data documents are uploaded with its policy and data clients, decisions come from its
 * query client. Two things are added around the library's HTTP layer: a deadline on every request,
 * and the body of a refused upload, so OPA's compile errors (with their locations) reach the user.
 * Thread-safe.
 */
public final class OpaConnection {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String url;
  private final HttpClient http;
  private final OpaPolicyClient policies;
  private final OpaDataClient data;
  private final OpaQueryClient queries;

  /** One problem OPA reported for an uploaded module. */
  public record OpaError(String code, String message, String file, int row, int col) {}

  /** OPA refused an upload; {@link #errors()} says why and where. */
  public static final class RejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient List<OpaError> errors;

    RejectedException(String message, List<OpaError> errors) {
      super(message);
      this.errors = List.copyOf(errors);
    }

    public List<OpaError> errors() {
      return errors;
    }
  }

  /** OPA could not be reached, or did not answer in time. */
  public static final class UnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public OpaConnection(String url, Duration requestTimeout) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofMillis(Math.max(200, requestTimeout.toMillis())))
            .build();
    OpaRestClient rest =
        new DeadlineRestClient(
            new OpaConfiguration(this.url, HttpClient.Version.HTTP_1_1),
            http,
            ObjectMapperFactory.getInstance().create(),
            requestTimeout);
    this.policies = new OpaPolicyClient(rest);
    this.data = new OpaDataClient(rest);
    this.queries = new OpaQueryClient(rest);
  }

  public String url() {
    return url;
  }

  /** Creates or replaces a policy module. */
  public void putPolicy(String id, String text) {
    try {
      policies.createOrUpdatePolicy(new OpaPolicy(id, text));
    } catch (OpaClientException e) {
      throw translate("upload of policy " + id, e);
    }
  }

  /** Creates or replaces the data document at {@code path} (slash-separated). */
  public void putData(String path, String json) {
    try {
      data.createOrOverwriteDocument(new OpaDocument(path, json));
    } catch (OpaClientException e) {
      throw translate("upload of data " + path, e);
    }
  }

  /**
   * The document at {@code path} (slash-separated) evaluated with {@code input}: a Boolean, Map,
   * List, String or Number, or {@code null} when the document is undefined.
   */
  public Object query(String path, Object input) {
    try {
      return queries.queryForDocument(new QueryForDocumentRequest(input, path), Object.class);
    } catch (OpaClientException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("Result is empty")) {
        return null;
      }
      throw translate("query of " + path, e);
    }
  }

  /** Whether OPA answers its health endpoint within {@code timeout}. */
  public boolean healthy(Duration timeout) {
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/health")).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private RuntimeException translate(String what, OpaClientException e) {
    if (e instanceof OpaServerConnectionException || e.getCause() instanceof IOException) {
      return new UnavailableException(
          what + " failed: OPA at " + url + " is unreachable or too slow", e);
    }
    if (e.getCause() instanceof RejectedException r) {
      return r;
    }
    return e;
  }

  /** The library's REST client with a deadline per request and the bodies of refusals kept. */
  private static final class DeadlineRestClient extends OpaRestClient {
    private final Duration timeout;

    DeadlineRestClient(OpaConfiguration c, HttpClient http, ObjectMapper mapper, Duration timeout) {
      super(c, http, mapper);
      this.timeout = timeout;
    }

    @Override
    public HttpRequest.Builder getBasicRequestBuilder(String endpoint) {
      return super.getBasicRequestBuilder(endpoint).timeout(timeout);
    }

    @Override
    public <T> HttpResponse<T> sendRequest(HttpRequest request, BodyHandler<T> handler)
        throws IOException, InterruptedException {
      AtomicReference<String> refusal = new AtomicReference<>();
      AtomicReference<Integer> status = new AtomicReference<>();
      BodyHandler<T> keeping =
          info -> {
            if (info.statusCode() >= 300) {
              status.set(info.statusCode());
              return BodySubscribers.mapping(
                  BodySubscribers.ofString(StandardCharsets.UTF_8),
                  body -> {
                    refusal.set(body);
                    return null;
                  });
            }
            return handler.apply(info);
          };
      try {
        return super.sendRequest(request, keeping);
      } catch (OpaClientException e) {
        if (refusal.get() != null) {
          throw rejected(status.get(), refusal.get());
        }
        throw e;
      }
    }

    private static RejectedException rejected(int status, String body) {
      List<OpaError> errors = new ArrayList<>();
      String message = "OPA answered " + status;
      try {
        JsonNode root = JSON.readTree(body);
        message = root.path("message").asText(message);
        for (JsonNode e : root.path("errors")) {
          JsonNode loc = e.path("location");
          errors.add(
              new OpaError(
                  e.path("code").asText(""),
                  e.path("message").asText(""),
                  loc.path("file").asText(""),
                  loc.path("row").asInt(0),
                  loc.path("col").asInt(0)));
        }
      } catch (IOException | RuntimeException parse) {
        message = message + ": " + body;
      }
      return new RejectedException(message, errors);
    }
  }
}
