package io.tollgate.rules.config;

import io.tollgate.common.config.YamlDocument;
import java.util.List;

/**
 * {@code RuleConfig} is a {@code kind: Rule} document.
 *
 * @param name unique among rules
 * @param match CEL condition, or {@code null} for always
 * @param actions handlers to call with instances, in order
 * @param requestHeaderOperations header changes for the upstream request when the rule matches
 * @param responseHeaderOperations header changes for the client response when the rule matches
 * @param doc where it was written
 * @param matchFailClosed its {@code matchFailurePolicy}: {@code true} for closed, {@code false} for
 *     open, {@code null} for the server's default
 */
public record RuleConfig(
    String name,
    String match,
    List<Action> actions,
    List<HeaderOperation> requestHeaderOperations,
    List<HeaderOperation> responseHeaderOperations,
    YamlDocument doc,
    Boolean matchFailClosed) {

  /** The field of a Rule document that says what a {@code match} that fails to evaluate does. */
  public static final String MATCH_FAILURE_POLICY = "matchFailurePolicy";

  /**
   * One action: a handler and the instances it is sent.
   *
   * @param handler the handler's name
   * @param instances instance names; empty sends one empty {@code checknothing} instance
   * @param path where in the document it is, e.g. {@code actions[0]}
   */
  public record Action(String handler, List<String> instances, String path) {}

  /**
   * A header change whose values are CEL expressions.
   *
   * @param name header name
   * @param values expressions, one value each
   * @param operation REPLACE, APPEND or REMOVE
   * @param path where in the document it is
   */
  public record HeaderOperation(String name, List<String> values, String operation, String path) {}
}
