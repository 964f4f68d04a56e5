package io.tollgate.server.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Code;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.rules.PolicyDecision;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckResponsesTest {
  static PolicyDecision deny(int status) {
    return new PolicyDecision(
        false,
        status,
        "denier: no",
        "r1",
        "h1",
        List.of(),
        List.of(HeaderOp.replace("x-why", "policy")),
        7);
  }

  @Test
  void allowCarriesHeaderOperations() {
    PolicyDecision d =
        new PolicyDecision(
            true,
            200,
            "",
            "r",
            "",
            List.of(
                HeaderOp.replace("x-user", "alice"),
                new HeaderOp(HeaderOp.Op.APPEND, "x-trace", "t1"),
                new HeaderOp(HeaderOp.Op.REMOVE, "authorization", "")),
            List.of(HeaderOp.replace("x-policy", "p")),
            3);
    CheckResponse r = CheckResponses.of(d, true);
    assertThat(r.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    assertThat(r.getOkResponse().getHeaders(0).getHeader().getKey()).isEqualTo("x-user");
    assertThat(r.getOkResponse().getHeaders(0).getAppendAction())
        .isEqualTo(HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD);
    assertThat(r.getOkResponse().getHeaders(1).getAppendAction())
        .isEqualTo(HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD);
    assertThat(r.getOkResponse().getHeadersToRemoveList()).containsExactly("authorization");
    assertThat(CheckResponses.names(r.getOkResponse().getResponseHeadersToAddList()))
        .containsExactly("x-policy");
    assertThat(r.getDynamicMetadata().getFieldsMap().get("policy_version").getNumberValue())
        .isEqualTo(3);
  }

  @Test
  void denialStatusMapsToGrpcCodes() {
    assertThat(CheckResponses.of(deny(403), true).getStatus().getCode())
        .isEqualTo(Code.PERMISSION_DENIED_VALUE);
    assertThat(CheckResponses.of(deny(401), true).getStatus().getCode())
        .isEqualTo(Code.UNAUTHENTICATED_VALUE);
    assertThat(CheckResponses.of(deny(429), true).getStatus().getCode())
        .isEqualTo(Code.RESOURCE_EXHAUSTED_VALUE);
    assertThat(CheckResponses.of(deny(405), true).getDeniedResponse().getStatus().getCodeValue())
        .isEqualTo(405);
  }

  @Test
  void denialNamesTheRuleUnlessToldNotTo() {
    CheckResponse shown = CheckResponses.of(deny(403), true);
    assertThat(CheckResponses.names(shown.getDeniedResponse().getHeadersList()))
        .contains("x-tollgate-rule", "x-tollgate-handler", "x-tollgate-policy-version", "x-why");
    assertThat(shown.getDeniedResponse().getBody())
        .isEqualTo(
            "{\"status\":403,\"message\":\"denier: no\",\"rule\":\"r1\",\"handler\":\"h1\",\"policy_version\":7}");

    CheckResponse hidden = CheckResponses.of(deny(403), false);
    assertThat(CheckResponses.names(hidden.getDeniedResponse().getHeadersList()))
        .doesNotContain("x-tollgate-rule", "x-tollgate-handler");
    assertThat(hidden.getDeniedResponse().getBody())
        .isEqualTo("{\"status\":403,\"message\":\"denier: no\"}");
  }
}
