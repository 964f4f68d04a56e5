package io.tollgate.rules.rego;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code RegoHandler} decides by asking OPA for one document of the policy's Rego, with the request
 * in OPA-Envoy's input shape ({@link RegoInput}). The result is read as OPA-Envoy reads it:
 *
 * <ul>
 *   <li>{@code true} allows, {@code false} denies with 403;
 *   <li>an object: {@code allowed} (required), {@code headers} (for the upstream when allowed, for
 *       the client when denied), {@code response_headers_to_add}, {@code
 *       request_headers_to_remove}, {@code body} and {@code http_status} (denied response, default
 *       403);
 *   <li>undefined denies with 403.
 * </ul>
 *
 * <p>It blocks (a network call), so the dispatcher runs it with its deadline and failure policy; an
 * unreachable OPA or an open circuit breaker is a failure.
 */
public final class RegoHandler implements CheckHandler {
  /** The adapter name used in {@code kind: Handler} documents. */
  public static final String ADAPTER = "rego";

  private final RegoEngine engine;
  private final RegoBundle bundle;
  private final String document;

  public RegoHandler(RegoEngine engine, RegoBundle bundle, String document) {
    this.engine = engine;
    this.bundle = bundle;
    this.document = document;
  }

  public String document() {
    return document;
  }

  @Override
  public boolean blocking() {
    return true;
  }

  /** The decision is a function of the input, so it may be cached (a Handler's {@code cache}). */
  @Override
  public boolean cacheable() {
    return true;
  }

  @Override
  public CheckResult check(Instance instance, Attributes attributes) {
    return interpret(engine.query(bundle, document, RegoInput.of(attributes)), document);
  }

  static CheckResult interpret(Object result, String document) {
    if (result == null) {
      return CheckResult.deny(403, "Rego decision " + document + " is undefined");
    }
    if (result instanceof Boolean b) {
      return b ? CheckResult.ok() : CheckResult.deny(403, "denied by Rego " + document);
    }
    if (!(result instanceof Map<?, ?> m)) {
      throw new IllegalStateException(
          "Rego decision " + document + " is neither a boolean nor an object: " + result);
    }
    Object allowed = m.get("allowed");
    if (!(allowed instanceof Boolean)) {
      throw new IllegalStateException("Rego decision " + document + " has no boolean 'allowed'");
    }
    List<HeaderOp> headers = headers(m.get("headers"));
    List<HeaderOp> response = headers(m.get("response_headers_to_add"));
    if ((Boolean) allowed) {
      List<HeaderOp> upstream = new ArrayList<>(headers);
      if (m.get("request_headers_to_remove") instanceof List<?> remove) {
        remove.forEach(h -> upstream.add(HeaderOp.remove(String.valueOf(h))));
      }
      return CheckResult.ok(upstream, response);
    }
    int status = m.get("http_status") instanceof Number n ? n.intValue() : 403;
    if (status < 200 || status > 599) {
      status = 403;
    }
    String body = m.get("body") == null ? "" : String.valueOf(m.get("body"));
    List<HeaderOp> toClient = new ArrayList<>(headers);
    toClient.addAll(response);
    return new CheckResult(
        false,
        status,
        body.isEmpty() ? "denied by Rego " + document : body,
        List.of(),
        toClient,
        body);
  }

  private static List<HeaderOp> headers(Object o) {
    List<HeaderOp> out = new ArrayList<>();
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        String name = String.valueOf(e.getKey());
        if (e.getValue() instanceof List<?> values) {
          boolean first = true;
          for (Object v : values) {
            out.add(
                first
                    ? HeaderOp.replace(name, String.valueOf(v))
                    : new HeaderOp(HeaderOp.Op.APPEND, name, String.valueOf(v)));
            first = false;
          }
        } else {
          out.add(HeaderOp.replace(name, String.valueOf(e.getValue())));
        }
      }
    }
    return out;
  }
}
