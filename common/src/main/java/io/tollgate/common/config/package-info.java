/**
 * What every config reader of Tollgate shares: {@link io.tollgate.common.config.ConfigError}, a
 * problem located at {@code file:line:column}; {@link io.tollgate.common.config.YamlReader}, the
 * one YAML reader (policies, rate-limit configs and mesh files alike), which keeps the {@link
 * io.tollgate.common.config.Located location} of every key and value of a {@link
 * io.tollgate.common.config.YamlDocument}, refuses duplicate keys with both locations and sets the
 * same limits against YAML bombs for every file; and {@link io.tollgate.common.config.Durations},
 * the one way durations are written, in config files and on the command line alike.
 */
package io.tollgate.common.config;
