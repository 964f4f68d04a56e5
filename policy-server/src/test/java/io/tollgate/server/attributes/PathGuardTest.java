package io.tollgate.server.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.rules.Decider;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.server.envoy.AttributeMapper;
import io.tollgate.server.envoy.EnvoyCheckRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PathGuardTest {
  final List<Attributes> decided = new ArrayList<>();
  final Decider rules =
      a -> {
        decided.add(a);
        return new PolicyDecision(true, 200, "", "", "", List.of(), List.of(), 7);
      };
  final Decider guard = PathGuard.around(rules, () -> 7);

  static Attributes request(String path) {
    return AttributeMapper.map(EnvoyCheckRequest.http("GET", "details", path).build());
  }

  @Test
  void aPathThatCannotBeNormalizedIsRefusedWith400WithoutAskingTheRules() {
    for (String path : List.of("/../admin", "/a%zz", "/a/..;/b", "/a#b")) {
      PolicyDecision d = guard.check(request(path), Decider.NO_DEADLINE);
      assertThat(d.allowed()).as(path).isFalse();
      assertThat(d.httpStatus()).isEqualTo(400);
      assertThat(d.message()).isEqualTo(PathGuard.MESSAGE);
      assertThat(d.policyVersion()).isEqualTo(7);
      assertThat(guard.warmUpCheck(request(path)).httpStatus()).isEqualTo(400);
    }
    assertThat(decided).isEmpty();
  }

  @Test
  void otherRequestsGoToTheRulesWithTheirNormalizedPath() {
    assertThat(guard.check(request("//%61dmin/./x")).allowed()).isTrue();
    Attributes noHttp = AttributeMapper.map(CheckRequest.getDefaultInstance());
    assertThat(guard.check(noHttp).allowed()).as("no path: not for the guard").isTrue();
    assertThat(decided).hasSize(2);
    assertThat(decided.get(0).get("request.url_path")).isEqualTo("/admin/x");
  }
}
