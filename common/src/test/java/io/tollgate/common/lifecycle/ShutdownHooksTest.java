package io.tollgate.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ShutdownHooksTest {
  @Test
  void closesInOrderSkipsNullsAndGoesOnAfterAFailure() {
    List<String> closed = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    AutoCloseable failing =
        () -> {
          closed.add("failing");
          throw new IllegalStateException("refuses to close");
        };
    ShutdownHooks.closer(done, () -> closed.add("admin"), null, failing, () -> closed.add("server"))
        .run();
    assertThat(closed).containsExactly("admin", "failing", "server");
    assertThat(done.getCount()).as("the waiting command is released").isZero();
  }
}
