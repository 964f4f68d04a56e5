package io.tollgate.rules.fake;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fake adapter for rules tests that stands for someone editing the policy while it compiles: its
 * build runs {@link #DURING_BUILD} once, if set. Param {@code n} is only there to make configs
 * differ. Allows everything.
 */
public final class EditingAdapter implements Adapter {
  public static final AtomicReference<Runnable> DURING_BUILD = new AtomicReference<>();

  @Override
  public String name() {
    return "editing";
  }

  @Override
  public String description() {
    return "edits the policy while it is built";
  }

  @Override
  public Set<String> templates() {
    return Set.of("checknothing");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    spec.params().rejectUnknown(Set.of("n"));
    Runnable edit = DURING_BUILD.getAndSet(null);
    if (edit != null) {
      edit.run();
    }
    return (CheckHandler) (instance, attributes) -> CheckResult.ok();
  }
}
