/**
 * The policy files users write, read with their locations by common's {@link
 * io.tollgate.common.config.YamlReader}: every value keeps the line and column it came from, so
 * that every config problem is reported as {@code file:line:column}.
 */
package io.tollgate.rules.config;
