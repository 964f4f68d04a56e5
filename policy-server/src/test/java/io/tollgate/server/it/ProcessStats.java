package io.tollgate.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code ProcessStats} reads what a leak shows in from outside a server JVM: the heap used after a
 * full GC ({@code jcmd PID GC.run}, then {@code GC.heap_info}), its live threads and its open file
 * descriptors ({@code /proc/PID}). Linux only, as the rest of the soak.
 */
final class ProcessStats {
  private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K");
  private static final Pattern THREADS = Pattern.compile("(?m)^Threads:\\s+(\\d+)$");

  /** One reading: heap after GC in MiB, threads, file descriptors. */
  record Sample(double heapAfterGcMiB, int threads, int fds) {}

  private ProcessStats() {}

  static Sample of(long pid) {
    jcmd(pid, "GC.run");
    Matcher heap = HEAP_USED.matcher(jcmd(pid, "GC.heap_info"));
    if (!heap.find()) {
      throw new AssertionError("jcmd " + pid + " GC.heap_info gave no heap line");
    }
    return new Sample(Long.parseLong(heap.group(1)) / 1024.0, threads(pid), fds(pid));
  }

  static int threads(long pid) {
    try {
      Matcher m = THREADS.matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
      if (!m.find()) {
        throw new AssertionError("/proc/" + pid + "/status has no Threads line");
      }
      return Integer.parseInt(m.group(1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int fds(long pid) {
    try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) s.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String jcmd(long pid, String command) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process p =
          new ProcessBuilder(List.of(jcmd.toString(), Long.toString(pid), command))
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("jcmd " + pid + " " + command + " failed:\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
