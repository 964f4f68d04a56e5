package io.tollgate.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Server;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GrpcServersTest {
  /** A server whose calls in flight finish in time, run over, or whose wait is interrupted. */
  static final class FakeServer extends Server {
    enum Calls {
      FINISH,
      RUN_OVER,
      INTERRUPT
    }

    final Calls calls;
    final List<String> steps = new ArrayList<>();
    long waitedNanos = -1;

    FakeServer(Calls calls) {
      this.calls = calls;
    }

    @Override
    public Server start() {
      return this;
    }

    @Override
    public Server shutdown() {
      steps.add("shutdown");
      return this;
    }

    @Override
    public Server shutdownNow() {
      steps.add("shutdownNow");
      return this;
    }

    @Override
    public boolean isShutdown() {
      return !steps.isEmpty();
    }

    @Override
    public boolean isTerminated() {
      return steps.contains("shutdownNow") || calls == Calls.FINISH;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      steps.add("await");
      waitedNanos = unit.toNanos(timeout);
      if (calls == Calls.INTERRUPT) {
        throw new InterruptedException();
      }
      return calls == Calls.FINISH;
    }

    @Override
    public void awaitTermination() {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void callsThatFinishInTimeAreNotCancelled() {
    FakeServer s = new FakeServer(FakeServer.Calls.FINISH);
    GrpcServers.stop(s, Duration.ofSeconds(5));
    assertThat(s.steps).containsExactly("shutdown", "await");
    assertThat(s.waitedNanos).isEqualTo(Duration.ofSeconds(5).toNanos());
  }

  @Test
  void callsStillRunningAfterTheGraceAreCancelled() {
    FakeServer s = new FakeServer(FakeServer.Calls.RUN_OVER);
    GrpcServers.stop(s, Duration.ofMillis(250));
    assertThat(s.steps).containsExactly("shutdown", "await", "shutdownNow");
    assertThat(s.waitedNanos).isEqualTo(Duration.ofMillis(250).toNanos());
  }

  @Test
  void anInterruptCancelsAtOnceAndIsKept() {
    FakeServer s = new FakeServer(FakeServer.Calls.INTERRUPT);
    try {
      GrpcServers.stop(s, Duration.ofSeconds(5));
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(s.steps).containsExactly("shutdown", "await", "shutdownNow");
  }
}
