package io.tollgate.testing;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * {@code InputTimeout} gives every input of a Jazzer {@code @FuzzTest} run in regression mode (the
 * normal test run, on the committed corpus) {@value #SECONDS} seconds; an input that takes longer
 * is a hang and fails. Put {@code @ExtendWith(InputTimeout.class)} on the fuzz test class.
 *
 * <p>JUnit's {@code @Timeout} cannot do this: when Jazzer fuzzes, the whole fuzzing run is one
 * invocation of the test method, which the timeout would cut short. So this extension steps aside
 * when Jazzer fuzzes ({@code JAZZER_FUZZ} set), and libFuzzer's own per-input {@code -timeout} (set
 * by the root pom's fuzz profile) bounds each input instead.
 */
public final class InputTimeout implements InvocationInterceptor {
  /** How long one input may take. Generous: the suite runs on loaded machines. */
  public static final int SECONDS = 10;

  @Override
  public void interceptTestTemplateMethod(
      Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext,
      ExtensionContext extensionContext)
      throws Throwable {
    if (fuzzing()) {
      invocation.proceed();
      return;
    }
    Throwable[] failure = new Throwable[1];
    Assertions.assertTimeoutPreemptively(
        Duration.ofSeconds(SECONDS),
        () -> {
          try {
            invocation.proceed();
          } catch (Throwable t) {
            failure[0] = t;
          }
        },
        () -> "an input of " + extensionContext.getDisplayName() + " ran over " + SECONDS + " s");
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  /** Whether Jazzer fuzzes in this JVM: {@code JAZZER_FUZZ} as Jazzer itself reads it. */
  private static boolean fuzzing() {
    return isTrue(System.getenv("JAZZER_FUZZ")) || isTrue(System.getProperty("JAZZER_FUZZ"));
  }

  private static boolean isTrue(String v) {
    return v != null
        && (v.equals("1") || Set.of("true", "yes").contains(v.toLowerCase(Locale.ROOT)));
  }
}
