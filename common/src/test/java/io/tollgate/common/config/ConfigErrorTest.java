package io.tollgate.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import org.junit.jupiter.api.Test;

class ConfigErrorTest {
  @Test
  void writesWhatIsKnownOfTheLocation() {
    assertThat(new ConfigError("a.yaml", 3, 10, "bad")).hasToString("a.yaml:3:10: bad");
    assertThat(new ConfigError("a.yaml", 3, 0, "bad")).hasToString("a.yaml:3: bad");
    assertThat(new ConfigError("a.yaml", 0, 7, "bad")).hasToString("a.yaml: bad");
    assertThat(ConfigError.of("dir", "cannot list")).hasToString("dir: cannot list");
  }

  @Test
  void ofHasNoPosition() {
    assertThat(ConfigError.of("a.yaml", "bad")).isEqualTo(new ConfigError("a.yaml", 0, 0, "bad"));
  }

  @Test
  void fileAndMessageAreRequired() {
    assertThatNullPointerException().isThrownBy(() -> ConfigError.of(null, "bad"));
    assertThatNullPointerException().isThrownBy(() -> ConfigError.of("a.yaml", null));
  }
}
