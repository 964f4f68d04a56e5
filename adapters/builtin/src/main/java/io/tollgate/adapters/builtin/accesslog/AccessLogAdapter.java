package io.tollgate.adapters.builtin.accesslog;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.Attributes;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.Instance;
import io.tollgate.adapter.spi.Params;
import io.tollgate.adapter.spi.ReportHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code AccessLogAdapter} builds accesslog handlers; see the package documentation for the params.
 */
public final class AccessLogAdapter implements Adapter {
  private static final JsonFactory JSON = new JsonFactory();

  @Override
  public String name() {
    return "accesslog";
  }

  @Override
  public String description() {
    return "writes logentry instances as JSON lines to standard output or a size-rotated file";
  }

  @Override
  public Set<String> templates() {
    return Set.of("logentry");
  }

  @Override
  public Handler build(HandlerSpec spec) {
    Params p = spec.params();
    p.rejectUnknown(Set.of("path", "maxSizeMB", "maxFiles"));
    String path = p.string("path", "-");
    long maxSizeMb = p.integer("maxSizeMB", 100);
    long maxFiles = p.integer("maxFiles", 5);
    if (maxSizeMb < 1) {
      p.errors().add("maxSizeMB", "must be at least 1, not " + maxSizeMb);
    }
    if (maxFiles < 1 || maxFiles > 100) {
      p.errors().add("maxFiles", "must be within 1..100, not " + maxFiles);
    }
    if (!p.errors().isEmpty()) {
      return null;
    }
    if (path.isEmpty() || path.equals("-")) {
      return new AccessLogHandler(new Sink(null, 0, 0));
    }
    Path file = spec.baseDir().resolve(path).normalize();
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return new AccessLogHandler(new Sink(file, maxSizeMb * 1024 * 1024, (int) maxFiles));
    } catch (IOException | UncheckedIOException e) {
      p.errors().add("path", "cannot write " + file + ": " + e.getMessage());
      return null;
    }
  }

  /** Where lines go: a rotated file, or standard output when {@code file} is null. */
  static final class Sink implements AutoCloseable {
    private final Path file;
    private final long maxBytes;
    private final int maxFiles;
    private OutputStream out;
    private long size;

    Sink(Path file, long maxBytes, int maxFiles) {
      this.file = file;
      this.maxBytes = maxBytes;
      this.maxFiles = maxFiles;
      if (file != null) {
        open();
      }
    }

    private void open() {
      try {
        out =
            Files.newOutputStream(
                file,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
        size = Files.size(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    synchronized void write(byte[] line) throws IOException {
      if (file == null) {
        System.out.write(line);
        System.out.flush();
        return;
      }
      if (size > 0 && size + line.length > maxBytes) {
        rotate();
      }
      out.write(line);
      out.flush();
      size += line.length;
    }

    private void rotate() throws IOException {
      out.close();
      for (int i = maxFiles - 1; i >= 1; i--) {
        Path from = file.resolveSibling(file.getFileName() + "." + i);
        if (Files.exists(from)) {
          Files.move(
              from,
              file.resolveSibling(file.getFileName() + "." + (i + 1)),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.deleteIfExists(file.resolveSibling(file.getFileName() + "." + (maxFiles + 1)));
      Files.move(
          file,
          file.resolveSibling(file.getFileName() + ".1"),
          StandardCopyOption.REPLACE_EXISTING);
      open();
    }

    @Override
    public synchronized void close() {
      if (out != null) {
        try {
          out.close();
        } catch (IOException e) {
          // nothing left to do with it
        }
      }
    }
  }

  /** Writes each instance as one JSON line. */
  private record AccessLogHandler(Sink sink) implements ReportHandler {
    @Override
    public void report(Instance instance, Attributes attributes) throws IOException {
      ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
      try (JsonGenerator g = JSON.createGenerator(buf, JsonEncoding.UTF8)) {
        g.writeStartObject();
        Object ts = instance.values().get("timestamp");
        g.writeStringField("timestamp", (ts instanceof Instant i ? i : Instant.now()).toString());
        Object severity = instance.values().get("severity");
        g.writeStringField("severity", severity == null ? "INFO" : String.valueOf(severity));
        g.writeStringField("instance", instance.name());
        if (instance.values().get("variables") instanceof Map<?, ?> vars) {
          for (Map.Entry<?, ?> e : vars.entrySet()) {
            g.writeFieldName(String.valueOf(e.getKey()));
            value(g, e.getValue());
          }
        }
        g.writeEndObject();
      }
      buf.write('\n');
      sink.write(buf.toByteArray());
    }

    private static void value(JsonGenerator g, Object v) throws IOException {
      if (v == null) {
        g.writeNull();
      } else if (v instanceof Long || v instanceof Integer) {
        g.writeNumber(((Number) v).longValue());
      } else if (v instanceof Number n) {
        g.writeNumber(n.doubleValue());
      } else if (v instanceof Boolean b) {
        g.writeBoolean(b);
      } else if (v instanceof Duration d) {
        g.writeNumber(d.toNanos() / 1e6);
      } else if (v instanceof Map<?, ?> m) {
        g.writeStartObject();
        for (Map.Entry<?, ?> e : m.entrySet()) {
          g.writeFieldName(String.valueOf(e.getKey()));
          value(g, e.getValue());
        }
        g.writeEndObject();
      } else if (v instanceof List<?> l) {
        g.writeStartArray();
        for (Object o : l) {
          value(g, o);
        }
        g.writeEndArray();
      } else {
        g.writeString(String.valueOf(v));
      }
    }

    @Override
    public void close() {
      sink.close();
    }
  }
}
