package io.tollgate.adapters.builtin.headers;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.Params;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code HeadersAdapter} builds handlers that allow and apply fixed header operations. Params:
 * {@code request} and {@code response}, lists of {@code {op: REPLACE|APPEND|REMOVE, name, value}}.
 */
public final class HeadersAdapter implements Adapter {
  /** RFC 9110 token: the characters a header name may have. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  @Override
  public String name() {
    return "headers";
  }

  @Override
  public String description() {
    return "allows, setting fixed headers on the upstream request and the client response";
  }

  @Override
  public Set<String> templates() {
    return Set.of("checknothing");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    Params p = spec.params();
    p.rejectUnknown(Set.of("request", "response"));
    List<HeaderOp> request = ops(p, "request");
    List<HeaderOp> response = ops(p, "response");
    if (request.isEmpty() && response.isEmpty() && p.errors().isEmpty()) {
      p.errors().add("", "give at least one header operation in 'request' or 'response'");
    }
    CheckResult result = CheckResult.ok(request, response);
    return new CheckHandler() {
      @Override
      public CheckResult check(Instance instance, Attributes attributes) {
        return result;
      }

      /** It only sets headers: a rule of it alone has nothing to fail closed on. */
      @Override
      public boolean mayDeny() {
        return false;
      }
    };
  }

  private static List<HeaderOp> ops(Params p, String key) {
    List<HeaderOp> out = new ArrayList<>();
    List<Map<String, Object>> raw = p.maps(key);
    for (int i = 0; i < raw.size(); i++) {
      String field = key + "[" + i + "]";
      Map<String, Object> m = raw.get(i);
      for (String k : m.keySet()) {
        if (!Set.of("op", "name", "value").contains(k)) {
          p.errors().add(field + "." + k, "unknown field '" + k + "'; expected op, name, value");
        }
      }
      HeaderOp.Op op = HeaderOp.Op.REPLACE;
      Object o = m.get("op");
      if (o != null) {
        try {
          op = HeaderOp.Op.valueOf(String.valueOf(o).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
          p.errors().add(field + ".op", "'" + o + "' is not one of REPLACE, APPEND, REMOVE");
          continue;
        }
      }
      Object name = m.get("name");
      if (name == null || !TOKEN.matcher(String.valueOf(name)).matches()) {
        p.errors().add(field + ".name", "a header name is required and must be a valid HTTP token");
        continue;
      }
      Object value = m.get("value");
      if (op != HeaderOp.Op.REMOVE && value == null) {
        p.errors().add(field + ".value", op + " needs a value");
        continue;
      }
      out.add(new HeaderOp(op, String.valueOf(name), value == null ? "" : String.valueOf(value)));
    }
    return out;
  }
}
