/**
 * What every config reader of Tollgate shares: {@link io.tollgate.common.config.ConfigError}, a
 * problem located at {@code file:line:column}, and {@link io.tollgate.common.config.Durations}, the
 * one way durations are written, in config files and on the command line alike.
 */
package io.tollgate.common.config;
