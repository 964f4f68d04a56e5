package io.tollgate.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @Test
  void readsANumberAndAUnit() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
    assertThat(Durations.parse("20us")).isEqualTo(Duration.ofNanos(20_000));
    assertThat(Durations.parse("7ns")).isEqualTo(Duration.ofNanos(7));
    assertThat(Durations.parse("0s")).isEqualTo(Duration.ZERO);
  }

  @Test
  void readsFractionsExactly() {
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("0.1s")).isEqualTo(Duration.ofMillis(100));
    assertThat(Durations.parse("0.001s")).isEqualTo(Duration.ofMillis(1));
    assertThat(Durations.parse("2.5m")).isEqualTo(Duration.ofSeconds(150));
    assertThat(Durations.parse("1.000000001s")).isEqualTo(Duration.ofSeconds(1, 1));
    assertThat(Durations.parse("1.9ns")).isEqualTo(Duration.ofNanos(1));
  }

  @Test
  void readsIso8601() {
    assertThat(Durations.parse("PT2S")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("PT1M")).isEqualTo(Duration.ofMinutes(1));
    assertThat(Durations.parse("P1DT1H")).isEqualTo(Duration.ofHours(25));
    assertThat(Durations.parse("pt0.5s")).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void ignoresSurroundingBlanks() {
    assertThat(Durations.parse(" 10s\n")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("\tPT3S ")).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void readsLongOnes() {
    assertThat(Durations.parse("999999999999d")).isEqualTo(Duration.ofDays(999_999_999_999L));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"soon", "10", "s", "1.s", ".5s", "5 s", "5S", "5sec", "1h30m", "-5s"})
  void refusesWhatIsNotADuration(String text) {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Durations.parse(text))
        .withMessage("'" + text + "' is not a duration (write e.g. 250ms, 2s, 1m)");
  }

  @Test
  void refusesNegativeDurations() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Durations.parse("-PT1S"))
        .withMessage("'-PT1S' is negative; a duration is 0 or more");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Durations.parse("PT-1S"))
        .withMessageStartingWith("'PT-1S' is negative");
  }

  @Test
  void refusesWhatDurationCannotHold() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> Durations.parse("99999999999999999999999h"))
        .withMessage("'99999999999999999999999h' is too long a duration");
  }
}
