/**
 * The rate-limit descriptor configuration in envoyproxy/ratelimit's format ({@code domain}, nested
 * {@code descriptors} with {@code key}, {@code value}, {@code rate_limit}, ...), its parser with
 * file:line:column errors, and the matcher that finds the limit for a request's descriptor.
 */
package io.tollgate.quota.config;
