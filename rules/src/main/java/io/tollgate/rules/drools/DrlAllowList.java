package io.tollgate.rules.drools;

import io.tollgate.adapter.spi.HeaderOp;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.Month;
import java.time.MonthDay;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.Period;
import java.time.Year;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code DrlAllowList} is what a DRL rule may name and call: the fact types, {@code String} and its
 * builders, boxed primitives, {@code Math}, the {@code java.util} collections, {@code
 * java.util.stream} and {@code java.util.function}, {@code java.util.regex}, {@code java.math} and
 * {@code java.time}. Every public method and field of those types may be used, except the few that
 * lead out of them ({@link #FORBIDDEN_MEMBERS}): {@code getClass()} to reflection, {@code
 * Integer.getInteger} and its kin to system properties, {@code Locale.setDefault} to JVM-wide
 * state.
 *
 * <p>Calls are checked by name, without types: a rule is compiled by Drools after the check, and no
 * method of an allowed type returns a type outside the list (the rules module's tests prove it), so
 * an expression in a rule that starts from an allowed type stays among allowed types.
 */
final class DrlAllowList {
  private DrlAllowList() {}

  /** The one-line summary that ends every refusal. */
  static final String SUMMARY =
      "DRL may use: the fact types Request and Decision, types the DRL declares, String,"
          + " StringBuilder, boxed primitives, Math, java.util collections, java.util.stream,"
          + " java.util.function, java.util.regex, java.math, java.time; drools. only for"
          + " insert, insertLogical, update, delete, retract and getRule()";

  /** Names no rule may call or read, on any type. */
  static final Set<String> FORBIDDEN_MEMBERS =
      Set.of(
          "getClass", // reflection
          "getDeclaringClass", // Enum: reflection
          "describeConstable", // constant descriptors lead to MethodHandles
          "resolveConstantDesc",
          "wait", // monitors of shared objects
          "notify",
          "notifyAll",
          "getInteger", // Integer.getInteger: a system property
          "getLong", // Long.getLong: a system property
          "getBoolean", // Boolean.getBoolean: a system property
          "setDefault", // Locale.setDefault: JVM-wide state
          "toFormat", // DateTimeFormatter.toFormat: java.text
          "TYPE"); // Integer.TYPE and kin: Class objects

  /** The methods a consequence may call on {@code drools} or {@code kcontext}, or without one. */
  static final Set<String> HELPER_CALLS =
      Set.of("insert", "insertLogical", "update", "delete", "retract");

  /** The types rules may name, by canonical name. */
  static final Map<String, Class<?>> TYPES = types();

  /** Packages with allowed types: the only ones a star import may name. */
  static final Set<String> PACKAGES = packages();

  private static final Set<String> METHODS = new HashSet<>();
  private static final Set<String> FIELDS = new HashSet<>();

  static {
    for (Class<?> c : TYPES.values()) {
      for (Method m : c.getMethods()) {
        METHODS.add(m.getName());
      }
      for (Field f : c.getFields()) {
        FIELDS.add(f.getName());
      }
    }
    METHODS.removeAll(FORBIDDEN_MEMBERS);
    FIELDS.removeAll(FORBIDDEN_MEMBERS);
    FIELDS.add("length"); // arrays
  }

  private static Map<String, Class<?>> types() {
    List<Class<?>> list =
        List.of(
            // The facts and what they return.
            Request.class,
            Decision.class,
            HeaderOp.class,
            HeaderOp.Op.class,
            // java.lang
            Object.class,
            String.class,
            StringBuilder.class,
            CharSequence.class,
            Comparable.class,
            Iterable.class,
            Enum.class,
            Number.class,
            Boolean.class,
            Byte.class,
            Short.class,
            Integer.class,
            Long.class,
            Float.class,
            Double.class,
            Character.class,
            Math.class,
            StrictMath.class,
            Runnable.class,
            AutoCloseable.class,
            // java.util
            java.util.Collection.class,
            List.class,
            java.util.ArrayList.class,
            java.util.LinkedList.class,
            Map.class,
            Map.Entry.class,
            java.util.HashMap.class,
            LinkedHashMap.class,
            java.util.TreeMap.class,
            java.util.SortedMap.class,
            java.util.NavigableMap.class,
            Set.class,
            HashSet.class,
            java.util.LinkedHashSet.class,
            java.util.TreeSet.class,
            java.util.SortedSet.class,
            java.util.NavigableSet.class,
            java.util.Queue.class,
            java.util.Deque.class,
            java.util.ArrayDeque.class,
            java.util.Iterator.class,
            java.util.ListIterator.class,
            java.util.Spliterator.class,
            java.util.PrimitiveIterator.OfInt.class,
            java.util.PrimitiveIterator.OfLong.class,
            java.util.PrimitiveIterator.OfDouble.class,
            Collections.class,
            java.util.Arrays.class,
            java.util.Objects.class,
            java.util.Optional.class,
            java.util.OptionalInt.class,
            java.util.OptionalLong.class,
            java.util.OptionalDouble.class,
            java.util.Comparator.class,
            java.util.StringJoiner.class,
            java.util.Locale.class,
            java.util.UUID.class,
            java.util.IntSummaryStatistics.class,
            java.util.LongSummaryStatistics.class,
            java.util.DoubleSummaryStatistics.class,
            // java.util.stream
            java.util.stream.BaseStream.class,
            java.util.stream.Stream.class,
            java.util.stream.IntStream.class,
            java.util.stream.LongStream.class,
            java.util.stream.DoubleStream.class,
            java.util.stream.Collector.class,
            java.util.stream.Collectors.class,
            // java.util.function
            java.util.function.Function.class,
            java.util.function.BiFunction.class,
            java.util.function.UnaryOperator.class,
            java.util.function.BinaryOperator.class,
            java.util.function.Predicate.class,
            java.util.function.BiPredicate.class,
            java.util.function.Supplier.class,
            java.util.function.Consumer.class,
            java.util.function.BiConsumer.class,
            // java.util.regex
            java.util.regex.Pattern.class,
            java.util.regex.Matcher.class,
            java.util.regex.MatchResult.class,
            // java.math
            BigDecimal.class,
            BigInteger.class,
            RoundingMode.class,
            MathContext.class,
            // java.time
            Clock.class,
            Duration.class,
            Instant.class,
            LocalDate.class,
            LocalDateTime.class,
            LocalTime.class,
            OffsetDateTime.class,
            OffsetTime.class,
            ZonedDateTime.class,
            ZoneId.class,
            ZoneOffset.class,
            Period.class,
            Year.class,
            YearMonth.class,
            MonthDay.class,
            DayOfWeek.class,
            Month.class,
            java.time.format.DateTimeFormatter.class,
            java.time.temporal.ChronoUnit.class,
            java.time.temporal.ChronoField.class,
            java.time.temporal.TemporalAdjusters.class,
            // Reached through the types above.
            CharSequence.class,
            Appendable.class,
            StringBuffer.class,
            java.util.Enumeration.class,
            java.util.Spliterator.OfInt.class,
            java.util.Spliterator.OfLong.class,
            java.util.Spliterator.OfDouble.class,
            java.util.concurrent.ConcurrentMap.class,
            java.util.function.IntConsumer.class,
            java.util.function.LongConsumer.class,
            java.util.function.DoubleConsumer.class,
            java.util.stream.Collector.Characteristics.class,
            java.util.stream.Stream.Builder.class,
            java.util.stream.IntStream.Builder.class,
            java.util.stream.LongStream.Builder.class,
            java.util.stream.DoubleStream.Builder.class,
            java.time.chrono.ChronoLocalDate.class,
            java.time.chrono.ChronoLocalDateTime.class,
            java.time.chrono.ChronoZonedDateTime.class,
            java.time.chrono.ChronoPeriod.class,
            java.time.chrono.Chronology.class,
            java.time.chrono.IsoChronology.class,
            java.time.chrono.Era.class,
            java.time.chrono.IsoEra.class,
            java.time.format.DecimalStyle.class,
            java.time.format.ResolverStyle.class,
            java.time.temporal.Temporal.class,
            java.time.temporal.TemporalAccessor.class,
            java.time.temporal.TemporalAdjuster.class,
            java.time.temporal.TemporalAmount.class,
            java.time.temporal.TemporalField.class,
            java.time.temporal.TemporalQuery.class,
            java.time.temporal.TemporalUnit.class,
            java.time.temporal.ValueRange.class,
            java.time.zone.ZoneRules.class,
            java.time.zone.ZoneOffsetTransition.class,
            java.time.zone.ZoneOffsetTransitionRule.class,
            java.time.zone.ZoneOffsetTransitionRule.TimeDefinition.class,
            java.util.Spliterator.OfPrimitive.class);
    Map<String, Class<?>> m = new LinkedHashMap<>();
    for (Class<?> c : list) {
      m.put(c.getCanonicalName(), c);
    }
    return Collections.unmodifiableMap(m);
  }

  private static Set<String> packages() {
    Set<String> s = new HashSet<>();
    for (Class<?> c : TYPES.values()) {
      s.add(c.getPackageName());
    }
    return Set.copyOf(s);
  }

  /** Whether some allowed type has a public method of this name that rules may call. */
  static boolean method(String name) {
    return METHODS.contains(name);
  }

  /** Whether some allowed type has a public field of this name that rules may read. */
  static boolean field(String name) {
    return FIELDS.contains(name);
  }

  /**
   * Whether {@code a.name} may be read in a constraint, where MVEL makes it a getter ({@code
   * getName()}, {@code isName()}), a field or a method.
   */
  static boolean property(String name) {
    if (name.isEmpty()) {
      return false;
    }
    String cap = Character.toUpperCase(name.charAt(0)) + name.substring(1);
    if (FORBIDDEN_MEMBERS.contains("get" + cap)
        || FORBIDDEN_MEMBERS.contains("is" + cap)
        || FORBIDDEN_MEMBERS.contains(name)) {
      return false;
    }
    return METHODS.contains("get" + cap)
        || METHODS.contains("is" + cap)
        || METHODS.contains(name)
        || FIELDS.contains(name);
  }

  /** Whether {@code type} has a public static method {@code name} rules may call. */
  static boolean staticMethod(Class<?> type, String name) {
    if (FORBIDDEN_MEMBERS.contains(name)) {
      return false;
    }
    for (Method m : type.getMethods()) {
      if (m.getName().equals(name) && Modifier.isStatic(m.getModifiers())) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code type} has a public static field {@code name} (an enum constant, MAX_VALUE). */
  static boolean staticField(Class<?> type, String name) {
    if (FORBIDDEN_MEMBERS.contains(name)) {
      return false;
    }
    try {
      return Modifier.isStatic(type.getField(name).getModifiers());
    } catch (NoSuchFieldException e) {
      return false;
    }
  }
}
