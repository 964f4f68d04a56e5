/**
 * What every config reader of Tollgate shares: {@link io.tollgate.common.config.ConfigError}, a
 * problem located at {@code file:line:column}.
 */
package io.tollgate.common.config;
