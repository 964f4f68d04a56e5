package io.tollgate.rules;

import io.tollgate.common.config.ConfigError;
import java.util.List;
import java.util.stream.Collectors;

/** {@code PolicyLoadException} says a policy directory could not be loaded, with every problem. */
public final class PolicyLoadException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient List<ConfigError> errors;

  public PolicyLoadException(List<ConfigError> errors) {
    super(
        errors.size()
            + " problem(s) in the policy:\n"
            + errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
    this.errors = List.copyOf(errors);
  }

  public List<ConfigError> errors() {
    return errors;
  }
}
