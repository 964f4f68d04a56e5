package io.tollgate.server.attributes;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Vocabulary;
import io.tollgate.rules.Decider;
import io.tollgate.rules.PolicyDecision;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * {@code PathGuard} refuses, with 400 and before any rule runs, a request whose path {@link
 * PathNormalizer} cannot normalize ({@code %zz}, {@code %00}, {@code /../x}, {@code /..;/x}, a
 * fragment): its {@code request.url_path} is absent, and no value in its place is safe for both a
 * rule that denies {@code /admin} and one that allows only {@code /public}. Envoy answers such a
 * path with 400 when {@code normalize_path} is on; this gives the same answer when it is off or the
 * caller is nginx. A request without a path (not HTTP) passes to the rules as before.
 *
 * <p>The check costs two attribute reads, kept by the request's attributes for the rules.
 */
public final class PathGuard implements Decider {
  /** The message of the refusal, for the log and the decision log; the client sees it too. */
  public static final String MESSAGE = "the request path cannot be normalized";

  private final Decider rules;
  private final LongSupplier version;

  private PathGuard(Decider rules, LongSupplier version) {
    this.rules = rules;
    this.version = version;
  }

  /**
   * {@code rules} behind the guard; {@code version} names the serving policy version in a refusal.
   */
  public static Decider around(Decider rules, LongSupplier version) {
    return new PathGuard(rules, version);
  }

  /** Whether {@code a} carries a path that could not be normalized. */
  public static boolean unnormalizable(Attributes a) {
    String raw = a.getString(Vocabulary.REQUEST_PATH);
    return raw != null && !raw.isEmpty() && a.get(Vocabulary.REQUEST_URL_PATH) == null;
  }

  @Override
  public PolicyDecision check(Attributes attributes) {
    return unnormalizable(attributes) ? refusal() : rules.check(attributes);
  }

  @Override
  public PolicyDecision check(Attributes attributes, long callerDeadline) {
    return unnormalizable(attributes) ? refusal() : rules.check(attributes, callerDeadline);
  }

  @Override
  public PolicyDecision warmUpCheck(Attributes attributes) {
    return unnormalizable(attributes) ? refusal() : rules.warmUpCheck(attributes);
  }

  private PolicyDecision refusal() {
    return new PolicyDecision(
        false, 400, MESSAGE, "", "", List.of(), List.of(), version.getAsLong());
  }
}
