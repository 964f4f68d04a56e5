package io.tollgate.rules.snapshot;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.rules.EvaluationCounters;
import io.tollgate.rules.cel.CompiledExpression;
import java.util.List;

/**
 * {@code CompiledRule} is a rule ready to evaluate.
 *
 * @param name the rule's name
 * @param match its condition, or {@code null} for always
 * @param actions the check handlers it calls when it matches a request being checked
 * @param reportActions the report handlers ({@code metric}, {@code logentry} instances) it calls
 *     when it matches a finished request being reported
 * @param requestHeaders header changes for the upstream request
 * @param responseHeaders header changes for the client response
 */
public record CompiledRule(
    String name,
    CompiledExpression match,
    List<Action> actions,
    List<Action> reportActions,
    List<HeaderTemplate> requestHeaders,
    List<HeaderTemplate> responseHeaders) {

  /** A rule with check actions only. */
  public CompiledRule(
      String name,
      CompiledExpression match,
      List<Action> actions,
      List<HeaderTemplate> requestHeaders,
      List<HeaderTemplate> responseHeaders) {
    this(name, match, actions, List.of(), requestHeaders, responseHeaders);
  }

  /**
   * A rule that matches every request and asks one handler that takes no instance: a policy
   * engine's rule for every request.
   */
  public static CompiledRule always(String name, HandlerEntry handler) {
    return new CompiledRule(
        name,
        null,
        List.of(new Action(handler, List.of(CompiledInstance.NOTHING))),
        List.of(),
        List.of());
  }

  /** Whether it takes part in checks: check actions or header operations. */
  public boolean checks() {
    return !actions.isEmpty() || !requestHeaders.isEmpty() || !responseHeaders.isEmpty();
  }

  /**
   * Whether its {@code match} holds for a request; one that fails to evaluate (e.g. indexes a
   * missing header) does not match, and is counted.
   */
  public boolean matches(Attributes attributes, EvaluationCounters counters) {
    try {
      return match == null || match.test(attributes);
    } catch (Exception e) {
      counters.matchError(name);
      return false;
    }
  }

  /** A handler and the instances it is sent. */
  public record Action(HandlerEntry handler, List<CompiledInstance> instances) {}

  /** A header operation whose values are computed per request. */
  public record HeaderTemplate(HeaderOp.Op op, String name, List<CompiledExpression> values) {}
}
