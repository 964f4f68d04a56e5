package io.tollgate.rules.engine;

import io.tollgate.rules.config.HandlerConfig;
import io.tollgate.rules.config.Problems;
import io.tollgate.rules.snapshot.CompiledRule;
import io.tollgate.rules.snapshot.HandlerEntry;
import io.tollgate.rules.snapshot.PreparedPolicy;
import java.util.List;
import java.util.Map;

/**
 * {@code PolicyEngine} is what a policy language implements to take part in a policy directory: it
 * claims its files, prepares them for one version, builds the handlers that {@code kind: Handler}
 * documents with its adapter name configure, and may add a rule that runs for every request when no
 * handler covers its files. DRL ({@code drools}) and Rego ({@code rego}) are the two engines;
 * adding a language means implementing this and listing it in {@code PolicyEngines}.
 *
 * <p>The compiler calls an engine on one thread at a time; what it prepares is immutable and held
 * by the snapshot it was prepared for.
 */
public interface PolicyEngine extends AutoCloseable {

  /** Its name, and the adapter name of its handlers ({@code adapter: drools}). */
  String adapter();

  /**
   * Whether a file of this name is one of the engine's: its files are read and given to {@link
   * #prepare}, and are not read as YAML even when their names end in {@code .yaml}.
   */
  boolean reads(String fileName);

  /** Its file names as messages show them, e.g. {@code *.drl}. */
  String filePattern();

  /**
   * Prepares its files for one version.
   *
   * @param files relative path to text, sorted by path, each as it was stamped; never empty
   * @param previous what it prepared for the serving version, or {@code null}: reuse it when the
   *     files did not change
   * @param problems where every problem goes, located
   * @return the prepared state, or {@code null} when {@code problems} got entries
   */
  PreparedPolicy prepare(Map<String, String> files, PreparedPolicy previous, Problems problems);

  /**
   * Builds the handler of a {@code kind: Handler} document whose adapter is this engine's.
   *
   * @param prepared what {@link #prepare} gave for this version, or {@code null} when the policy
   *     has none of its files or they failed
   * @return the handler, or {@code null} when {@code problems} got entries
   */
  HandlerEntry handler(HandlerConfig config, PreparedPolicy prepared, Problems problems);

  /**
   * The rule that runs for every request after the configured ones, when the configured handlers of
   * this engine leave part of its files unused; or {@code null}.
   *
   * @param prepared what {@link #prepare} gave for this version (not {@code null})
   * @param handlers the engine's handlers this version configures
   */
  CompiledRule globalRule(PreparedPolicy prepared, List<HandlerEntry> handlers);

  /** Makes {@code prepared} the one that answers, just before its version serves. */
  default void activate(PreparedPolicy prepared) {}

  /** Empty when the engine can answer for a serving version that has its files; else why not. */
  default String notReadyReason() {
    return "";
  }

  /** Releases what the engine holds (connections, processes). */
  @Override
  default void close() {}
}
