package io.tollgate.rules.config;

import io.tollgate.common.config.YamlDocument;
import java.util.Map;

/**
 * {@code InstanceConfig} is a {@code kind: Instance} document: a template whose fields are CEL
 * expressions.
 *
 * @param name unique among instances
 * @param template the template's name
 * @param params field name to expression text; for map fields, a map of key to expression text
 * @param doc where it was written
 */
public record InstanceConfig(
    String name, String template, Map<String, Object> params, YamlDocument doc) {}
