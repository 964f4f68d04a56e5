package io.tollgate.adapters.builtin.denier;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.Params;
import java.util.Set;

/**
 * {@code DenierAdapter} builds handlers that always deny. Params: {@code status}, {@code message}.
 */
public final class DenierAdapter implements Adapter {
  @Override
  public String name() {
    return "denier";
  }

  @Override
  public String description() {
    return "denies every request it is sent, with a configured status and message";
  }

  @Override
  public Set<String> templates() {
    return Set.of("checknothing", "listentry", "authorization");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    Params p = spec.params();
    p.rejectUnknown(Set.of("status", "message"));
    long status = p.integer("status", 403);
    if (status < 400 || status > 599) {
      p.errors().add("status", "must be an HTTP error status (400-599), not " + status);
    }
    CheckResult denial = CheckResult.deny((int) status, p.string("message", "denied"));
    return (CheckHandler) (instance, attributes) -> denial;
  }
}
