package org.modelmon.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes durations in the configuration's syntax: {@code 500ms}, {@code 30s}, {@code 1m},
 * {@code 1h}, {@code 1d}, or ISO-8601 such as {@code PT30S} (docs/reference.md#configuration).
 */
public final class Durations {

  // Units are lower case only: "1M" would read as a month to many people, so it is not a minute.
  private static final Pattern SHORT_FORM = Pattern.compile("(-?)(\\d+)(ms|s|m|h|d)");

  private static final long MILLIS_PER_DAY = Duration.ofDays(1).toMillis();
  private static final long MILLIS_PER_HOUR = Duration.ofHours(1).toMillis();
  private static final long MILLIS_PER_MINUTE = Duration.ofMinutes(1).toMillis();
  private static final long MILLIS_PER_SECOND = Duration.ofSeconds(1).toMillis();

  private Durations() {}

  /**
   * Parses {@code text}, ignoring surrounding white space.
   *
   * <p>Negative durations ({@code -5s}, {@code PT-5S}) parse; whether they are allowed is up to the
   * caller. Durations too long to be counted in milliseconds are rejected, because Kafka Streams
   * counts every duration in milliseconds.
   *
   * @throws IllegalArgumentException if {@code text} is not a duration
   */
  public static Duration parse(final String text) {
    Objects.requireNonNull(text, "text");
    final String trimmed = text.strip();
    try {
      final Duration duration = parseUnchecked(trimmed);
      duration.toMillis(); // throws ArithmeticException when it does not fit a long of millis
      return duration;
    } catch (final ArithmeticException | DateTimeParseException | NumberFormatException e) {
      throw new IllegalArgumentException(
          Texts.quote(trimmed) + " is not a duration (e.g. 500ms, 30s, 1m, 1h, 1d, PT30S)", e);
    }
  }

  private static Duration parseUnchecked(final String text) {
    final Matcher shortForm = SHORT_FORM.matcher(text);
    if (!shortForm.matches()) {
      return Duration.parse(text);
    }
    final long amount = Long.parseLong(shortForm.group(2));
    final Duration duration =
        switch (shortForm.group(3)) {
          case "ms" -> Duration.ofMillis(amount);
          case "s" -> Duration.ofSeconds(amount);
          case "m" -> Duration.ofMinutes(amount);
          case "h" -> Duration.ofHours(amount);
          default -> Duration.ofDays(amount);
        };
    return shortForm.group(1).isEmpty() ? duration : duration.negated();
  }

  /**
   * Writes {@code duration} in the largest unit that represents it exactly ({@code 90s}, {@code
   * 5m}, {@code 1d}; zero is {@code 0s}), or as ISO-8601 when it has a fraction of a millisecond.
   * {@link #parse} reads the result back to the same duration.
   */
  public static String format(final Duration duration) {
    Objects.requireNonNull(duration, "duration");
    final long millis;
    try {
      millis = duration.toMillis();
    } catch (final ArithmeticException e) {
      return duration.toString();
    }
    if (!Duration.ofMillis(millis).equals(duration)) {
      return duration.toString();
    }
    if (millis == 0) {
      return "0s";
    }
    if (millis % MILLIS_PER_DAY == 0) {
      return millis / MILLIS_PER_DAY + "d";
    }
    if (millis % MILLIS_PER_HOUR == 0) {
      return millis / MILLIS_PER_HOUR + "h";
    }
    if (millis % MILLIS_PER_MINUTE == 0) {
      return millis / MILLIS_PER_MINUTE + "m";
    }
    if (millis % MILLIS_PER_SECOND == 0) {
      return millis / MILLIS_PER_SECOND + "s";
    }
    return millis + "ms";
  }
}
