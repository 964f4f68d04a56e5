package io.tollgate.server.envoy;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.server.DenialBody;
import java.util.List;

/**
 * {@code CheckResponses} turns a decision into Envoy's {@code CheckResponse}: allowed requests get
 * {@code OK} with header changes for the upstream and the client; denied ones get {@code
 * PERMISSION_DENIED} (or {@code UNAUTHENTICATED} for 401, {@code RESOURCE_EXHAUSTED} for 429) with
 * the HTTP status, headers and a JSON body Envoy sends to the client.
 */
public final class CheckResponses {
  private CheckResponses() {}

  public static CheckResponse of(PolicyDecision d, boolean revealRule) {
    CheckResponse.Builder r = CheckResponse.newBuilder().setDynamicMetadata(metadata(d));
    if (d.allowed()) {
      OkHttpResponse.Builder ok = OkHttpResponse.newBuilder();
      for (HeaderOp op : d.requestHeaders()) {
        if (op.op() == HeaderOp.Op.REMOVE) {
          ok.addHeadersToRemove(op.name());
        } else {
          ok.addHeaders(option(op));
        }
      }
      for (HeaderOp op : d.responseHeaders()) {
        if (op.op() != HeaderOp.Op.REMOVE) {
          ok.addResponseHeadersToAdd(option(op));
        }
      }
      return r.setStatus(com.google.rpc.Status.newBuilder().setCode(Code.OK_VALUE))
          .setOkResponse(ok)
          .build();
    }
    Code code =
        switch (d.httpStatus()) {
          case 401 -> Code.UNAUTHENTICATED;
          case 429 -> Code.RESOURCE_EXHAUSTED;
          default -> Code.PERMISSION_DENIED;
        };
    DeniedHttpResponse.Builder denied =
        DeniedHttpResponse.newBuilder()
            .setStatus(HttpStatus.newBuilder().setCodeValue(d.httpStatus()));
    if (d.body().isEmpty()) {
      denied
          .setBody(DenialBody.json(d, revealRule))
          .addHeaders(option(HeaderOp.replace("content-type", "application/json")));
    } else {
      denied.setBody(d.body());
    }
    for (HeaderOp op : DenialBody.headers(d, revealRule)) {
      denied.addHeaders(option(op));
    }
    for (HeaderOp op : d.responseHeaders()) {
      if (op.op() != HeaderOp.Op.REMOVE) {
        denied.addHeaders(option(op));
      }
    }
    return r.setStatus(
            com.google.rpc.Status.newBuilder().setCode(code.getNumber()).setMessage(d.message()))
        .setDeniedResponse(denied)
        .build();
  }

  private static HeaderValueOption option(HeaderOp op) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(op.name()).setValue(op.value()))
        .setAppendAction(
            op.op() == HeaderOp.Op.APPEND
                ? HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
                : HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  private static Struct metadata(PolicyDecision d) {
    return Struct.newBuilder()
        .putFields("allowed", Value.newBuilder().setBoolValue(d.allowed()).build())
        .putFields("rule", Value.newBuilder().setStringValue(d.rule()).build())
        .putFields("handler", Value.newBuilder().setStringValue(d.handler()).build())
        .putFields("policy_version", Value.newBuilder().setNumberValue(d.policyVersion()).build())
        .build();
  }

  /** The headers of a list of operations that add or replace, for tests and logs. */
  static List<String> names(List<HeaderValueOption> options) {
    return options.stream().map(o -> o.getHeader().getKey()).toList();
  }
}
