package io.tollgate.server;

import io.tollgate.adapter.spi.Attributes;
import io.tollgate.rules.PolicyDecision;

/** {@code CheckListener} hears of every check a transport handled: metrics and the decision log. */
public interface CheckListener {
  /** A decision was made in {@code nanos}. */
  void decided(String transport, Attributes attributes, PolicyDecision decision, long nanos);

  /** A check got no decision. */
  void failed(String transport);

  /** Does nothing, for tests. */
  CheckListener NONE =
      new CheckListener() {
        @Override
        public void decided(
            String transport, Attributes attributes, PolicyDecision decision, long nanos) {}

        @Override
        public void failed(String transport) {}
      };
}
