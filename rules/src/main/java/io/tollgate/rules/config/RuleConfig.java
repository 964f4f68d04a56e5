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
 */
public record RuleConfig(
    String name,
    String match,
    List<Action> actions,
    List<HeaderOperation> requestHeaderOperations,
    List<HeaderOperation> responseHeaderOperations,
    YamlDocument doc) {

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
