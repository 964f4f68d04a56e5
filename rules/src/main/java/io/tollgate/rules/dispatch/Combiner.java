package io.tollgate.rules.dispatch;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.rules.EvaluationCounters;
import io.tollgate.rules.PolicyDecision;
import io.tollgate.rules.cel.CompiledExpression;
import io.tollgate.rules.snapshot.CompiledRule;
import io.tollgate.rules.snapshot.HandlerEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Combiner} merges the results of one check into its decision. Every handler call and every
 * rule's header changes take a slot, in rule order, when the check reaches them; results may arrive
 * in any order, and the decision depends only on the slots:
 *
 * <ul>
 *   <li>any deny wins; the deny with the lowest slot gives the status, message, body, rule and
 *       handler;
 *   <li>upstream header changes of allowing results and of matching rules merge in slot order;
 *   <li>response header changes merge in slot order whatever the outcome.
 * </ul>
 *
 * <p>One per check, used by one thread.
 */
public final class Combiner {
  /** One handler call's result, and the DRL rule that denied when a DRL rule base decided it. */
  public record Outcome(CheckResult result, String drlRule) {}

  private int slots;
  private int denySlot = Integer.MAX_VALUE;
  private CheckResult deny;
  private String denyRule = "";
  private String denyHandler = "";
  private final List<Slotted> requestOps = new ArrayList<>(4);
  private final List<Slotted> responseOps = new ArrayList<>(4);

  private record Slotted(int slot, List<HeaderOp> ops) {}

  public int reserve() {
    return slots++;
  }

  /** Whether a deny has been added for a slot before {@code slot}: nothing after it can win. */
  public boolean deniedBefore(int slot) {
    return denySlot < slot;
  }

  public void add(int slot, String rule, HandlerEntry h, Outcome o) {
    CheckResult r = o.result();
    if (!r.allowed()) {
      if (slot < denySlot) {
        denySlot = slot;
        deny = r;
        denyRule =
            o.drlRule().isEmpty()
                ? rule
                : rule.isEmpty() ? o.drlRule() : rule + " > " + o.drlRule();
        denyHandler = h.name();
      }
    } else if (!r.requestHeaders().isEmpty()) {
      requestOps.add(new Slotted(slot, r.requestHeaders()));
    }
    if (!r.responseHeaders().isEmpty()) {
      responseOps.add(new Slotted(slot, r.responseHeaders()));
    }
  }

  public void addRuleHeaders(
      int slot, CompiledRule rule, Attributes a, EvaluationCounters counters) {
    if (!rule.requestHeaders().isEmpty()) {
      requestOps.add(new Slotted(slot, render(rule, rule.requestHeaders(), a, counters)));
    }
    if (!rule.responseHeaders().isEmpty()) {
      responseOps.add(new Slotted(slot, render(rule, rule.responseHeaders(), a, counters)));
    }
  }

  private static List<HeaderOp> render(
      CompiledRule rule,
      List<CompiledRule.HeaderTemplate> ts,
      Attributes a,
      EvaluationCounters counters) {
    List<HeaderOp> out = new ArrayList<>(ts.size());
    for (CompiledRule.HeaderTemplate t : ts) {
      if (t.op() == HeaderOp.Op.REMOVE) {
        out.add(HeaderOp.remove(t.name()));
        continue;
      }
      for (CompiledExpression e : t.values()) {
        try {
          out.add(new HeaderOp(t.op(), t.name(), String.valueOf(e.eval(a))));
        } catch (Exception ex) {
          counters.matchError(rule.name());
        }
      }
    }
    return out;
  }

  public PolicyDecision decide(long version) {
    List<HeaderOp> resp = flatten(responseOps);
    if (deny != null) {
      return new PolicyDecision(
          false,
          deny.httpStatus(),
          deny.message(),
          denyRule,
          denyHandler,
          List.of(),
          resp,
          version,
          deny.body());
    }
    return new PolicyDecision(true, 200, "", "", "", flatten(requestOps), resp, version);
  }

  private static List<HeaderOp> flatten(List<Slotted> s) {
    if (s.isEmpty()) {
      return List.of();
    }
    s.sort(java.util.Comparator.comparingInt(Slotted::slot));
    List<HeaderOp> out = new ArrayList<>();
    for (Slotted x : s) {
      out.addAll(x.ops());
    }
    return out;
  }
}
