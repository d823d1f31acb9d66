package org.modelmon.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Past counter samples, with timestamps, as the OpenMetrics text that {@code promtool tsdb
 * create-blocks-from openmetrics} turns into TSDB blocks ({@link PrometheusServer#importOpenMetrics}).
 *
 * <p>Written as the format requires: one {@code # TYPE} line per metric family followed by all of
 * its samples, each series' samples in increasing time, timestamps in seconds, and a final {@code #
 * EOF}. Counter samples must not decrease within a series: a backfilled counter reset would be
 * history nobody meant to write.
 */
public final class OpenMetricsBackfill {

  private static final String COUNTER_SUFFIX = "_total";

  // family -> series (label text) -> time in ms -> value
  private final Map<String, SortedMap<String, NavigableMap<Long, Double>>> counters =
      new LinkedHashMap<>();

  /**
   * Adds one sample of a counter.
   *
   * @param name the sample name, ending in {@code _total} (the family is the name without it)
   * @param labels all labels of the series, as the live scrape will label it (job, instance, …)
   * @param time when; whole milliseconds
   * @param value the counter's value then
   * @return this
   */
  public OpenMetricsBackfill counter(
      final String name, final Map<String, String> labels, final Instant time, final double value) {
    if (!name.endsWith(COUNTER_SUFFIX)) {
      throw new IllegalArgumentException("a counter sample name ends in _total: " + name);
    }
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("a counter is finite and not negative: " + value);
    }
    final String family = name.substring(0, name.length() - COUNTER_SUFFIX.length());
    final NavigableMap<Long, Double> samples =
        counters
            .computeIfAbsent(family, f -> new TreeMap<>())
            .computeIfAbsent(labelText(labels), l -> new TreeMap<>());
    final long millis = time.toEpochMilli();
    final Map.Entry<Long, Double> before = samples.lowerEntry(millis);
    final Map.Entry<Long, Double> after = samples.higherEntry(millis);
    if ((before != null && before.getValue() > value) || (after != null && after.getValue() < value)
        || samples.containsKey(millis)) {
      throw new IllegalArgumentException(
          "counter " + name + labelText(labels) + " would not increase at " + time);
    }
    samples.put(millis, value);
    return this;
  }

  /** The OpenMetrics text. */
  public String text() {
    final StringBuilder text = new StringBuilder();
    counters.forEach(
        (family, series) -> {
          text.append("# TYPE ").append(family).append(" counter\n");
          series.forEach(
              (labels, samples) ->
                  samples.forEach(
                      (millis, value) ->
                          text.append(family)
                              .append(COUNTER_SUFFIX)
                              .append(labels)
                              .append(' ')
                              .append(value)
                              .append(' ')
                              .append(seconds(millis))
                              .append('\n')));
        });
    return text.append("# EOF\n").toString();
  }

  /** Writes {@link #text()} to {@code file}. */
  public Path writeTo(final Path file) throws IOException {
    return Files.writeString(file, text(), StandardCharsets.UTF_8);
  }

  private static String labelText(final Map<String, String> labels) {
    return new TreeMap<>(labels)
        .entrySet().stream()
            .map(label -> label.getKey() + "=\"" + escape(label.getValue()) + "\"")
            .collect(Collectors.joining(",", "{", "}"));
  }

  private static String escape(final String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static String seconds(final long millis) {
    final long whole = Math.floorDiv(millis, 1000);
    final long fraction = Math.floorMod(millis, 1000);
    return fraction == 0 ? Long.toString(whole) : String.format(Locale.ROOT, "%d.%03d", whole, fraction);
  }
}
