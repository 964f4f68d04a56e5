/**
 * The policy files users write, parsed with their locations: every value keeps the line and column
 * it came from, so that every config problem is reported as {@code file:line:column}.
 */
package io.tollgate.rules.config;
