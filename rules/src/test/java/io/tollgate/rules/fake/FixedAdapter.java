package io.tollgate.rules.fake;

import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.HeaderOp;
import io.tollgate.adapter.spi.Params;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake adapter for rules tests: answers what its params say. Params: allow (bool), status,
 * message, header (name=value set upstream), blocking (bool), sleepMs, fail (bool), valueMustBe
 * (for listentry: deny unless the instance value equals it).
 */
public final class FixedAdapter implements Adapter {
  public static final AtomicInteger BUILDS = new AtomicInteger();
  public static final AtomicInteger CLOSES = new AtomicInteger();
  public static final AtomicInteger CALLS = new AtomicInteger();

  /**
   * Each interruption of a sleeping call: the handler's message param and {@code
   * System.nanoTime()}.
   */
  public static final java.util.Queue<java.util.Map.Entry<String, Long>> INTERRUPTED =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** Handlers closed while one of their calls was still running. */
  public static final AtomicInteger CLOSED_WHILE_RUNNING = new AtomicInteger();

  /** Calls running now. */
  public static final AtomicInteger RUNNING = new AtomicInteger();

  @Override
  public String name() {
    return "fixed";
  }

  @Override
  public String description() {
    return "answers as configured";
  }

  @Override
  public Set<String> templates() {
    return Set.of("checknothing", "listentry", "authorization");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    Params p = spec.params();
    p.rejectUnknown(
        Set.of(
            "allow",
            "status",
            "message",
            "header",
            "blocking",
            "sleepMs",
            "fail",
            "valueMustBe",
            "file"));
    boolean allow = p.bool("allow", true);
    int status = (int) p.integer("status", 403);
    String message = p.string("message", "fixed says no");
    String header = p.string("header", null);
    boolean blocking = p.bool("blocking", false);
    long sleepMs = p.integer("sleepMs", 0);
    boolean fail = p.bool("fail", false);
    String mustBe = p.string("valueMustBe", null);
    String file = p.string("file", null);
    if (file != null) {
      java.nio.file.Path f = spec.file(file);
      try {
        mustBe = java.nio.file.Files.readString(f).trim();
      } catch (java.io.IOException e) {
        p.errors().add("file", "cannot read " + file);
      }
    }
    BUILDS.incrementAndGet();
    List<HeaderOp> ops = new ArrayList<>();
    if (header != null) {
      String[] kv = header.split("=", 2);
      ops.add(HeaderOp.replace(kv[0], kv[1]));
    }
    String expected = mustBe;
    AtomicInteger running = new AtomicInteger();
    return new CheckHandler() {
      @Override
      public CheckResult check(
          io.tollgate.adapter.spi.Instance instance, io.tollgate.adapter.spi.Attributes a)
          throws Exception {
        CALLS.incrementAndGet();
        running.incrementAndGet();
        RUNNING.incrementAndGet();
        try {
          return decide(instance);
        } finally {
          running.decrementAndGet();
          RUNNING.decrementAndGet();
        }
      }

      private CheckResult decide(io.tollgate.adapter.spi.Instance instance) throws Exception {
        if (sleepMs > 0) {
          try {
            Thread.sleep(sleepMs);
          } catch (InterruptedException e) {
            INTERRUPTED.add(java.util.Map.entry(message, System.nanoTime()));
            throw e;
          }
        }
        if (fail) {
          throw new IllegalStateException("boom");
        }
        if (expected != null) {
          return expected.equals(instance.string("value"))
              ? CheckResult.ok(ops, List.of())
              : CheckResult.deny(
                  status, "value " + instance.values().get("value") + " is not " + expected);
        }
        return allow ? CheckResult.ok(ops, List.of()) : CheckResult.deny(status, message);
      }

      @Override
      public boolean blocking() {
        return blocking;
      }

      @Override
      public void close() {
        if (running.get() > 0) {
          CLOSED_WHILE_RUNNING.incrementAndGet();
        }
        CLOSES.incrementAndGet();
      }
    };
  }
}
