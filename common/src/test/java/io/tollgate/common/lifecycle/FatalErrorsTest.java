package io.tollgate.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FatalErrorsTest {
  @AfterEach
  void forget() {
    FatalErrors.reset();
  }

  private static Thread dying(String name, Throwable e) throws InterruptedException {
    Thread t =
        new Thread(
            () -> {
              if (e instanceof Error err) {
                throw err;
              }
              throw (RuntimeException) e;
            },
            name);
    t.setUncaughtExceptionHandler(FatalErrors::uncaught);
    t.start();
    t.join();
    return t;
  }

  @Test
  void anOutOfMemoryErrorOnAnyThreadIsFatal() throws Exception {
    dying("some-library-thread", new OutOfMemoryError("Java heap space"));
    assertThat(FatalErrors.reason())
        .hasValueSatisfying(
            r -> assertThat(r).contains("some-library-thread").contains("Java heap space"));
  }

  @Test
  void aDeadTollgateThreadIsFatalALibraryThreadsExceptionIsNot() throws Exception {
    dying("grpc-default-executor-3", new IllegalStateException("a library's own problem"));
    assertThat(FatalErrors.reason()).isEmpty();
    dying("tollgate-policy-retire", new IllegalStateException("bug"));
    assertThat(FatalErrors.reason()).hasValueSatisfying(r -> assertThat(r).contains("bug"));
  }

  @Test
  void listenersHearTheFirstFatalErrorOnceEvenWhenTheyComeLate() throws Exception {
    List<String> heard = new ArrayList<>();
    FatalErrors.onFatal(heard::add);
    FatalErrors.report("first", new OutOfMemoryError());
    FatalErrors.report("second", new OutOfMemoryError());
    List<String> late = new ArrayList<>();
    FatalErrors.onFatal(late::add);
    assertThat(heard).containsExactly("first");
    assertThat(late).containsExactly("first");
    assertThat(FatalErrors.reason()).hasValue("first");
  }

  @Test
  void onlyVirtualMachineErrorsAreFatalInCatchBlocks() {
    FatalErrors.reportIfFatal("handler h", new IllegalArgumentException("bad input"));
    FatalErrors.reportIfFatal("handler h", new StackOverflowError());
    assertThat(FatalErrors.reason()).isEmpty();
    FatalErrors.reportIfFatal("handler h", new OutOfMemoryError("Metaspace"));
    assertThat(FatalErrors.reason()).hasValue("handler h: java.lang.OutOfMemoryError: Metaspace");
  }

  @Test
  void aGuardedPeriodicTaskGoesOnAfterAnExceptionAndReportsAnError() {
    AtomicInteger runs = new AtomicInteger();
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
    try {
      s.scheduleWithFixedDelay(
          FatalErrors.guard(
              "the watch",
              () -> {
                if (runs.incrementAndGet() < 3) {
                  throw new IllegalStateException("transient");
                }
              }),
          0,
          1,
          TimeUnit.MILLISECONDS);
      Awaitility.await().until(() -> runs.get() >= 5);
      assertThat(FatalErrors.reason()).isEmpty();
    } finally {
      s.shutdownNow();
    }
    assertThatThrownBy(
            () ->
                FatalErrors.guard(
                        "the watch",
                        () -> {
                          throw new OutOfMemoryError("Java heap space");
                        })
                    .run())
        .isInstanceOf(OutOfMemoryError.class);
    assertThat(FatalErrors.reason())
        .hasValueSatisfying(r -> assertThat(r).startsWith("the watch stopped"));
  }
}
