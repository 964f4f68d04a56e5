package io.tollgate.quota.config;

import java.util.List;
import java.util.Map;

/**
 * {@code DomainConfig} is one rate-limit domain: its descriptor tree, as read from one file.
 *
 * @param domain the domain name Envoy sends
 * @param file where it was read from
 * @param descriptors the top level, by {@link Descriptor#id()}
 * @param prefixes top-level descriptors with a prefix value, longest prefix first
 * @param failureModeDeny what to answer when the quota cluster cannot decide: OVER_LIMIT ({@code
 *     true}), OK ({@code false}), or the server's setting ({@code null}); written as {@code
 *     failure_mode_deny}, a Tollgate extension
 */
public record DomainConfig(
    String domain,
    String file,
    Map<String, Descriptor> descriptors,
    List<Descriptor> prefixes,
    Boolean failureModeDeny) {}
