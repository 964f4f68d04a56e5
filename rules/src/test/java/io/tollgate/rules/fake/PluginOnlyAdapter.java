package io.tollgate.rules.fake;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.HeaderOp;
import java.util.List;
import java.util.Set;

/**
 * Packed into a plugin jar by tests, never registered on the class path. Its handler reports
 * whether it can see Tollgate's internals, which the plugin class loader must hide.
 */
public final class PluginOnlyAdapter implements Adapter {
  @Override
  public String name() {
    return "plugin-only";
  }

  @Override
  public String description() {
    return "reports what its class loader sees";
  }

  @Override
  public Set<String> templates() {
    return Set.of("checknothing");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    boolean seesRules;
    try {
      Class.forName(
          "io.tollgate.rules.PolicyRuntime", false, PluginOnlyAdapter.class.getClassLoader());
      seesRules = true;
    } catch (ClassNotFoundException e) {
      seesRules = false;
    }
    String loader = String.valueOf(PluginOnlyAdapter.class.getClassLoader().getName());
    List<HeaderOp> ops =
        List.of(
            HeaderOp.replace("x-sees-rules", String.valueOf(seesRules)),
            HeaderOp.replace("x-loader", loader));
    return (CheckHandler) (instance, attributes) -> CheckResult.ok(ops, List.of());
  }
}
