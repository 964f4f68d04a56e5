package io.tollgate.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

class DaemonThreadsTest {
  @Test
  void numberedThreadsCountFromOnePerFactory() {
    ThreadFactory f = DaemonThreads.numbered("tollgate-test");
    Thread a = f.newThread(() -> {});
    Thread b = f.newThread(() -> {});
    assertThat(a.getName()).isEqualTo("tollgate-test-1");
    assertThat(b.getName()).isEqualTo("tollgate-test-2");
    assertThat(DaemonThreads.numbered("tollgate-test").newThread(() -> {}).getName())
        .isEqualTo("tollgate-test-1");
    assertThat(a.isDaemon()).isTrue();
    assertThat(b.isDaemon()).isTrue();
  }

  @Test
  void namedThreadsShareTheName() {
    ThreadFactory f = DaemonThreads.named("tollgate-watch");
    assertThat(f.newThread(() -> {}).getName()).isEqualTo("tollgate-watch");
    assertThat(f.newThread(() -> {}).getName()).isEqualTo("tollgate-watch");
    assertThat(f.newThread(() -> {}).isDaemon()).isTrue();
  }

  @Test
  void theThreadRunsTheTask() throws InterruptedException {
    boolean[] ran = {false};
    Thread t = DaemonThreads.named("tollgate-run").newThread(() -> ran[0] = true);
    t.start();
    t.join();
    assertThat(ran[0]).isTrue();
  }
}
