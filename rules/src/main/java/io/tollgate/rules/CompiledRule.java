package io.tollgate.rules;

import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.rules.cel.CompiledExpression;
import java.util.List;

/**
 * {@code CompiledRule} is a rule ready to evaluate.
 *
 * @param name the rule's name
 * @param match its condition, or {@code null} for always
 * @param actions what it calls when it matches
 * @param requestHeaders header changes for the upstream request
 * @param responseHeaders header changes for the client response
 */
record CompiledRule(
    String name,
    CompiledExpression match,
    List<Action> actions,
    List<HeaderTemplate> requestHeaders,
    List<HeaderTemplate> responseHeaders) {

  /** A handler and the instances it is sent. */
  record Action(HandlerEntry handler, List<CompiledInstance> instances) {}

  /** A header operation whose values are computed per request. */
  record HeaderTemplate(HeaderOp.Op op, String name, List<CompiledExpression> values) {}
}
