package io.tollgate.server.ratelimit;

import io.tollgate.common.config.ConfigError;
import io.tollgate.quota.config.DescriptorMatcher;
import io.tollgate.quota.config.DomainConfig;
import io.tollgate.quota.config.RateLimitConfigParser;
import io.tollgate.rules.RateLimitCompiler;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code RateLimitConfigs} compiles a policy's rate-limit files into one {@link DescriptorMatcher}:
 * each file one domain, a domain in at most one file.
 */
public final class RateLimitConfigs implements RateLimitCompiler<DescriptorMatcher> {
  @Override
  public DescriptorMatcher compile(Map<String, String> files, List<ConfigError> errors) {
    Map<String, DomainConfig> domains = new LinkedHashMap<>();
    for (Map.Entry<String, String> f : files.entrySet()) {
      RateLimitConfigParser.Result r = RateLimitConfigParser.parse(f.getKey(), f.getValue());
      errors.addAll(r.problems());
      if (r.config() == null) {
        continue;
      }
      DomainConfig first = domains.putIfAbsent(r.config().domain(), r.config());
      if (first != null) {
        errors.add(
            ConfigError.of(
                f.getKey(),
                "domain '"
                    + r.config().domain()
                    + "' is already configured in "
                    + first.file()
                    + "; one domain, one file"));
      }
    }
    return new DescriptorMatcher(domains);
  }
}
