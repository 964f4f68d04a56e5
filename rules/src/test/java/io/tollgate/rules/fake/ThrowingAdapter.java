package io.tollgate.rules.fake;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import java.util.Set;

/** An adapter whose constructor throws: packed into a plugin jar by tests, never registered. */
public final class ThrowingAdapter implements Adapter {
  public ThrowingAdapter() {
    throw new IllegalStateException("cannot start: license file missing");
  }

  @Override
  public String name() {
    return "throwing";
  }

  @Override
  public String description() {
    return "throws";
  }

  @Override
  public Set<String> templates() {
    return Set.of("checknothing");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    return null;
  }
}
