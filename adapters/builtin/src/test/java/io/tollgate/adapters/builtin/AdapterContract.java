package io.tollgate.adapters.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.ConfigErrors;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.Params;
import io.tollgate.adapter.spi.Quotas;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code AdapterContract} makes an adapter test one config and one expectation: build a handler
 * from params, see which fields were reported, run a check.
 */
public final class AdapterContract {
  private final Adapter adapter;
  private final Path baseDir;
  private final Map<String, String> errors = new LinkedHashMap<>();
  private final List<Path> watched = new ArrayList<>();
  private Handler handler;
  private Quotas quotas = Quotas.NONE;
  private Map<Class<?>, Object> services = Map.of();

  public AdapterContract(Adapter adapter, Path baseDir) {
    this.adapter = adapter;
    this.baseDir = baseDir;
  }

  /** Hands {@code q} to the handlers built from now on. */
  public AdapterContract quotas(Quotas q) {
    this.quotas = q;
    return this;
  }

  /** Offers {@code s} to the handlers built from now on. */
  public AdapterContract services(Map<Class<?>, Object> s) {
    this.services = s;
    return this;
  }

  /** The handler built last. */
  public Handler handler() {
    return handler;
  }

  /** Builds a handler from {@code params}, recording reported errors by field. */
  public AdapterContract build(Map<String, Object> params) throws Exception {
    errors.clear();
    ConfigErrors sink =
        new ConfigErrors() {
          @Override
          public void add(String field, String message) {
            errors.merge(field, message, (a, b) -> a + "; " + b);
          }

          @Override
          public boolean isEmpty() {
            return errors.isEmpty();
          }
        };
    handler =
        adapter.build(
            new HandlerSpec(
                "under-test", new Params(params, sink), baseDir, watched::add, quotas, services));
    return this;
  }

  /** Errors by field. */
  public Map<String, String> errors() {
    return errors;
  }

  /** Files the handler asked to be watched. */
  public List<Path> watched() {
    return watched;
  }

  /** Asserts the build succeeded and checks an instance. */
  public CheckResult check(String template, Map<String, Object> values) throws Exception {
    return check("i", template, values);
  }

  /** Asserts the build succeeded and checks an instance called {@code instance}. */
  public CheckResult check(String instance, String template, Map<String, Object> values)
      throws Exception {
    assertThat(errors).as("config errors").isEmpty();
    assertThat(adapter.templates()).contains(template);
    return ((CheckHandler) handler)
        .check(new Instance(instance, template, values), Attributes.builder().build());
  }

  /** Checks a listentry instance with {@code value}. */
  public CheckResult value(String value) throws Exception {
    Map<String, Object> v = new LinkedHashMap<>();
    if (value != null) {
      v.put("value", value);
    }
    return check("listentry", v);
  }
}
