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
 * @param failClosed whether a {@code match} that fails to evaluate counts as matched: the rule's
 *     {@code matchFailurePolicy} is closed and one of its handlers can deny, so that leaving out
 *     what the condition reads cannot turn a deny into an allow
 */
public record CompiledRule(
    String name,
    CompiledExpression match,
    List<Action> actions,
    List<Action> reportActions,
    List<HeaderTemplate> requestHeaders,
    List<HeaderTemplate> responseHeaders,
    boolean failClosed) {

  /** A rule with check actions only. */
  public CompiledRule(
      String name,
      CompiledExpression match,
      List<Action> actions,
      List<HeaderTemplate> requestHeaders,
      List<HeaderTemplate> responseHeaders) {
    this(name, match, actions, List.of(), requestHeaders, responseHeaders, false);
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
   * Whether its {@code match} holds for a request. One that fails to evaluate (e.g. indexes a
   * missing header) is counted, and matches only when the rule {@linkplain #failClosed fails
   * closed}.
   */
  public boolean matches(Attributes attributes, EvaluationCounters counters) {
    try {
      return match == null || match.test(attributes);
    } catch (Exception e) {
      counters.matchError(name);
      return failClosed;
    }
  }

  /** Whether any of its check handlers can deny: a rule that can, fails closed by its policy. */
  public static boolean canDeny(List<Action> actions) {
    for (Action a : actions) {
      if (a.handler().checkHandler() != null && a.handler().checkHandler().mayDeny()) {
        return true;
      }
    }
    return false;
  }

  /** A handler and the instances it is sent. */
  public record Action(HandlerEntry handler, List<CompiledInstance> instances) {}

  /** A header operation whose values are computed per request. */
  public record HeaderTemplate(HeaderOp.Op op, String name, List<CompiledExpression> values) {}
}
