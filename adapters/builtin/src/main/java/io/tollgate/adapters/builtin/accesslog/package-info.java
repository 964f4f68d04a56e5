/**
 * The {@code accesslog} adapter: writes {@code logentry} instances as JSON lines, to standard
 * output or to a file rotated by size, the way Mixer's stdio adapter did. Params:
 *
 * <pre>
 * path: logs/access.jsonl   # relative to the policy directory; absent or "-": standard output
 * maxSizeMB: 100            # rotate when the file reaches this size: access.jsonl.1, .2, ...
 * maxFiles: 5               # rotated files kept
 * </pre>
 *
 * Each line: {@code timestamp} (ISO-8601; the instance's, else now), {@code severity} (default
 * INFO), {@code instance}, then the instance's variables. Durations are written in milliseconds,
 * timestamps as ISO-8601, maps as objects.
 */
package io.tollgate.adapters.builtin.accesslog;
