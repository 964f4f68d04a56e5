/**
 * The {@code tollgate} command line (picocli): one class per subcommand ({@code serve}, {@code
 * validate}, {@code test}, {@code check}, {@code ca}, {@code agent}, {@code pilot}, {@code inject},
 * {@code analyze}, {@code quota-node}), and option values taken from flags, then {@code TOLLGATE_*}
 * environment variables, then the {@code --config} file.
 */
package io.tollgate.server.cli;
