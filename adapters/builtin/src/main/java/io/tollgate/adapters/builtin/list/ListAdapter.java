package io.tollgate.adapters.builtin.list;

import com.google.re2j.PatternSyntaxException;
import io.tollgate.adapter.spi.Adapter;
import io.tollgate.adapter.spi.CheckHandler;
import io.tollgate.adapter.spi.CheckResult;
import io.tollgate.adapter.spi.ConfigErrors;
import io.tollgate.adapter.spi.Handler;
import io.tollgate.adapter.spi.HandlerSpec;
import io.tollgate.adapter.spi.Params;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code ListAdapter} builds list handlers; see the package documentation for the params. */
public final class ListAdapter implements Adapter {
  private static final Set<String> PARAMS =
      Set.of("overrides", "file", "entryType", "blacklist", "status");

  @Override
  public String name() {
    return "list";
  }

  @Override
  public String description() {
    return "allows or denies a value by its presence in a list of strings, IP ranges or regexes";
  }

  @Override
  public Set<String> templates() {
    return Set.of("listentry");
  }

  /** An entry with where it came from, for error messages. */
  private record Entry(String text, String field, String where) {}

  @Override
  public Handler build(HandlerSpec spec) {
    Params p = spec.params();
    p.rejectUnknown(PARAMS);
    EntryType type = p.enumValue("entryType", EntryType.class, EntryType.STRINGS);
    boolean blacklist = p.bool("blacklist", false);
    long status = p.integer("status", 403);
    if (status < 400 || status > 599) {
      p.errors().add("status", "must be an HTTP error status (400-599), not " + status);
    }
    List<Entry> entries = new ArrayList<>();
    List<String> overrides = p.strings("overrides");
    for (int i = 0; i < overrides.size(); i++) {
      entries.add(new Entry(overrides.get(i), "overrides[" + i + "]", ""));
    }
    String file = p.string("file", null);
    if (file != null) {
      readFile(spec.file(file), file, entries, p.errors());
    }
    if (!p.has("overrides") && file == null) {
      p.errors().add("", "give entries in 'overrides', a 'file', or both");
    }
    Matcher matcher = compile(type, entries, p.errors());
    return new ListHandler(spec.name(), matcher, blacklist, (int) status);
  }

  private static void readFile(Path path, String name, List<Entry> entries, ConfigErrors errors) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      errors.add("file", "cannot read list file " + name + ": " + e);
      return;
    }
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      String entry = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (!entry.isEmpty()) {
        entries.add(new Entry(entry, "file", "file " + name + " line " + (i + 1) + ": "));
      }
    }
  }

  private static Matcher compile(EntryType type, List<Entry> entries, ConfigErrors errors) {
    switch (type) {
      case STRINGS -> {
        Set<String> set = new HashSet<>();
        entries.forEach(e -> set.add(e.text()));
        Set<String> s = Set.copyOf(set);
        return v -> v != null && s.contains(v);
      }
      case CASE_INSENSITIVE_STRINGS -> {
        Set<String> set = new HashSet<>();
        entries.forEach(e -> set.add(e.text().toLowerCase(Locale.ROOT)));
        Set<String> s = Set.copyOf(set);
        return v -> v != null && s.contains(v.toLowerCase(Locale.ROOT));
      }
      case IP_ADDRESSES -> {
        CidrMatcher.Builder b = CidrMatcher.builder();
        for (Entry e : entries) {
          String problem = b.add(e.text());
          if (problem != null) {
            errors.add(e.field(), e.where() + problem);
          }
        }
        return b.build();
      }
      default -> {
        List<com.google.re2j.Pattern> patterns = new ArrayList<>();
        for (Entry e : entries) {
          try {
            patterns.add(com.google.re2j.Pattern.compile(e.text()));
          } catch (PatternSyntaxException ex) {
            errors.add(
                e.field(),
                e.where() + "regex '" + e.text() + "' does not compile: " + ex.getDescription());
          }
        }
        List<com.google.re2j.Pattern> ps = List.copyOf(patterns);
        // RE2J guarantees linear time but takes microseconds per value; the same values (user
        // agents, paths) come again and again, so answers are remembered, boundedly.
        java.util.Map<String, Boolean> memo = new java.util.concurrent.ConcurrentHashMap<>();
        return v -> {
          if (v == null) {
            return false;
          }
          Boolean known = memo.get(v);
          if (known != null) {
            return known;
          }
          boolean hit = false;
          for (com.google.re2j.Pattern pt : ps) {
            if (pt.matches(v)) {
              hit = true;
              break;
            }
          }
          if (v.length() <= MEMO_MAX_VALUE_LENGTH) {
            if (memo.size() >= MEMO_MAX_ENTRIES) {
              memo.clear();
            }
            memo.put(v, hit);
          }
          return hit;
        };
      }
    }
  }

  /** Regex answers remembered per handler: at most this many values, each at most this long. */
  static final int MEMO_MAX_ENTRIES = 4096;

  static final int MEMO_MAX_VALUE_LENGTH = 512;

  /** Decides by membership. Immutable. */
  private record ListHandler(String name, Matcher matcher, boolean blacklist, int status)
      implements CheckHandler {
    @Override
    public CheckResult check(
        io.tollgate.adapter.spi.Instance instance, io.tollgate.adapter.spi.Attributes a) {
      String value = instance.string("value");
      boolean in = value != null && matcher.contains(value);
      if (blacklist && in) {
        return CheckResult.deny(status, "'" + value + "' is in deny list '" + name + "'");
      }
      if (!blacklist && !in) {
        return CheckResult.deny(
            status,
            (value == null ? "no value" : "'" + value + "'")
                + " is not in allow list '"
                + name
                + "'");
      }
      return CheckResult.ok();
    }
  }
}
