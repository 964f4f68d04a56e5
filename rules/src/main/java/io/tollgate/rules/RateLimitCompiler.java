package io.tollgate.rules;

import io.tollgate.common.config.ConfigError;
import java.util.List;
import java.util.Map;

/**
 * {@code RateLimitCompiler} turns the rate-limit config files of a policy directory (envoyproxy/
 * ratelimit's format, or {@code kind: RateLimitConfig}) into whatever the rate-limit service serves
 * from. It runs as part of compile-all-then-swap: a problem it reports fails the whole new version.
 * The rules runtime does not look inside what it returns; the service reads it back typed, with
 * {@code PolicySnapshot.rateLimits(Class)}.
 *
 * @param <T> what it compiles to
 */
@FunctionalInterface
public interface RateLimitCompiler<T> {
  /**
   * Compiles {@code files} (relative path to text).
   *
   * @param errors where to add every problem, with file, line and column
   * @return the compiled configuration, or anything (even {@code null}) when {@code errors} got
   *     entries
   */
  T compile(Map<String, String> files, List<ConfigError> errors);
}
