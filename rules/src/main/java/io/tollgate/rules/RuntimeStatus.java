package io.tollgate.rules;

import io.tollgate.common.config.ConfigError;
import io.tollgate.rules.snapshot.PolicySnapshot;
import java.time.Instant;
import java.util.List;

/**
 * {@code RuntimeStatus} describes the serving policy and the last failed reload, for the admin API.
 *
 * @param version the serving snapshot's version (1 for the first)
 * @param loadedAt when it started serving
 * @param files the files it was built from, relative to the policy directory
 * @param rules the names of its rules, in evaluation order
 * @param handlers handler name to adapter name
 * @param lastErrors the problems of the last failed reload since this version; empty if none
 * @param lastErrorAt when that reload failed, or {@code null}
 * @param quarantined handler name to how long it stays held for missing its deadline repeatedly,
 *     for the handlers held now
 */
public record RuntimeStatus(
    long version,
    Instant loadedAt,
    List<String> files,
    List<String> rules,
    java.util.Map<String, String> handlers,
    List<ConfigError> lastErrors,
    Instant lastErrorAt,
    java.util.Map<String, java.time.Duration> quarantined) {

  /** The status of serving {@code s} (none when {@code null}) after those reload errors. */
  static RuntimeStatus of(PolicySnapshot s, List<ConfigError> lastErrors, Instant lastErrorAt) {
    return new RuntimeStatus(
        s == null ? 0 : s.version(),
        s == null ? null : s.loadedAt(),
        s == null ? List.of() : s.files(),
        s == null ? List.of() : s.ruleNames(),
        s == null ? java.util.Map.of() : s.handlerAdapters(),
        lastErrors,
        lastErrorAt,
        s == null ? java.util.Map.of() : s.quarantined());
  }
}
