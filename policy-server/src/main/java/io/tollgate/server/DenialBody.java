package io.tollgate.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.rules.PolicyDecision;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code DenialBody} is what a denied caller sees, the same on every transport: a small JSON body
 * and {@code x-tollgate-*} headers naming the rule, handler and policy version. With {@code
 * revealRule} off, only the status and message are shown.
 */
public final class DenialBody {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DenialBody() {}

  public static String json(PolicyDecision d, boolean revealRule) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("status", d.httpStatus());
    m.put("message", d.message());
    if (revealRule) {
      m.put("rule", d.rule());
      m.put("handler", d.handler());
      m.put("policy_version", d.policyVersion());
    }
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      return "{\"status\":" + d.httpStatus() + "}";
    }
  }

  public static List<HeaderOp> headers(PolicyDecision d, boolean revealRule) {
    List<HeaderOp> out = new ArrayList<>(3);
    if (revealRule) {
      out.add(HeaderOp.replace("x-tollgate-rule", d.rule()));
      out.add(HeaderOp.replace("x-tollgate-handler", d.handler()));
      out.add(HeaderOp.replace("x-tollgate-policy-version", Long.toString(d.policyVersion())));
    }
    return out;
  }
}
