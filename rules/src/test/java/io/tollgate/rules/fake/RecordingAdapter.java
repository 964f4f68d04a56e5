package io.tollgate.rules.fake;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.ReportHandler;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** A fake report adapter for rules tests: records every instance it is sent; param fail throws. */
public final class RecordingAdapter implements Adapter {
  public static final List<Instance> RECORDED = new CopyOnWriteArrayList<>();

  @Override
  public String name() {
    return "recording";
  }

  @Override
  public String description() {
    return "records report instances";
  }

  @Override
  public Set<String> templates() {
    return Set.of("metric", "logentry");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    spec.params().rejectUnknown(Set.of("fail"));
    boolean fail = spec.params().bool("fail", false);
    return (ReportHandler)
        (instance, attributes) -> {
          if (fail) {
            throw new IllegalStateException("recording configured to fail");
          }
          RECORDED.add(instance);
        };
  }
}
