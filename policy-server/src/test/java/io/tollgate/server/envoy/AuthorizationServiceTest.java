package io.tollgate.server.envoy;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.tollgate.rules.Decider;
import io.tollgate.server.CheckListener;
import io.tollgate.server.LogCapture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AuthorizationServiceTest {
  @Test
  void aFailingCheckAnswersInternalWithAnIdAndLogsTheDetail() {
    Decider failing =
        attributes -> {
          throw new NullPointerException("Cannot invoke \"String.length()\" in /srv/policies/x");
        };
    AtomicReference<Throwable> error = new AtomicReference<>();
    try (LogCapture logs = LogCapture.of(AuthorizationService.class)) {
      new AuthorizationService(failing, CheckListener.NONE, false)
          .check(
              CheckRequest.getDefaultInstance(),
              new StreamObserver<>() {
                @Override
                public void onNext(CheckResponse value) {
                  throw new AssertionError("answered " + value);
                }

                @Override
                public void onError(Throwable t) {
                  error.set(t);
                }

                @Override
                public void onCompleted() {}
              });
      Status status = Status.fromThrowable(error.get());
      assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
      assertThat(status.getDescription())
          .matches("internal error \\(id [0-9a-f]{8}\\); the server log has the details");
      String id = status.getDescription().replaceAll(".*id ([0-9a-f]{8}).*", "$1");
      assertThat(logs.events())
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getFormattedMessage()).contains(id);
                assertThat(e.getThrowableProxy().getMessage()).contains("/srv/policies/x");
              });
    }
  }
}
