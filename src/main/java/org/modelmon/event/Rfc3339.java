package org.modelmon.event;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.chrono.IsoChronology;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * Reads the RFC 3339 date-times of the {@code timestamp} field of prediction events as epoch
 * milliseconds, the fraction truncated.
 *
 * <p>{@link #FORMATTER} defines what is accepted and what each text means. Running it costs more
 * than the rest of a small event's validation, so the form producers write — {@code
 * yyyy-mm-ddThh:mm:ss}, 0–9 fraction digits, {@code Z} or {@code ±hh:mm} below 18 hours — is read
 * by hand, with {@link LocalDate} still the judge of the calendar; every other text, valid or
 * not, goes to the formatter. The hand-read path must give the formatter's result for every text it
 * takes, which Rfc3339Properties checks against the formatter.
 */
final class Rfc3339 {

  /** RFC 3339 date-time: seconds required, 0–9 fraction digits, {@code Z} or ±hh:mm. */
  static final DateTimeFormatter FORMATTER =
      new DateTimeFormatterBuilder()
          .parseCaseInsensitive()
          .append(DateTimeFormatter.ISO_LOCAL_DATE)
          .appendLiteral('T')
          .appendPattern("HH:mm:ss")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
          .optionalEnd()
          .appendOffset("+HH:MM", "Z")
          .toFormatter(Locale.ROOT)
          .withChronology(IsoChronology.INSTANCE)
          .withResolverStyle(ResolverStyle.STRICT);

  /** What {@link #fastEpochMilli} returns for a text it leaves to the formatter. */
  static final long NOT_FAST = Long.MIN_VALUE;

  /** {@code yyyy-mm-ddThh:mm:ssZ}: the shortest text of the fast path. */
  private static final int MIN_FAST_LENGTH = 20;

  /** {@code yyyy-mm-ddThh:mm:ss.fffffffff+hh:mm}: the longest. */
  private static final int MAX_FAST_LENGTH = 35;

  private static final int MAX_FRACTION_DIGITS = 9;

  private Rfc3339() {}

  /**
   * The epoch milliseconds of {@code text}, the fraction truncated.
   *
   * @throws DateTimeException when {@code text} is not an RFC 3339 date-time of {@link #FORMATTER}
   * @throws ArithmeticException when its instant does not fit in epoch milliseconds
   */
  static long toEpochMilli(final String text) {
    final long fast = fastEpochMilli(text);
    return fast != NOT_FAST ? fast : FORMATTER.parse(text, Instant::from).toEpochMilli();
  }

  /**
   * The epoch milliseconds of {@code text} when it has the common form, else {@link #NOT_FAST}:
   * then {@link #FORMATTER} decides, whether the text is valid or not.
   */
  static long fastEpochMilli(final CharSequence text) {
    final int length = text.length();
    if (length < MIN_FAST_LENGTH
        || length > MAX_FAST_LENGTH
        || text.charAt(4) != '-'
        || text.charAt(7) != '-'
        || (text.charAt(10) | 0x20) != 't'
        || text.charAt(13) != ':'
        || text.charAt(16) != ':') {
      return NOT_FAST;
    }
    final int year = digits(text, 0, 4);
    final int month = digits(text, 5, 2);
    final int day = digits(text, 8, 2);
    final int hour = digits(text, 11, 2);
    final int minute = digits(text, 14, 2);
    final int second = digits(text, 17, 2);
    // digits() is negative for a non-digit; the formatter refuses these values, so it says why.
    if ((year | month | day) < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59) {
      return NOT_FAST;
    }
    int position = 19;
    int millis = 0;
    if (text.charAt(position) == '.') {
      position++;
      final int start = position;
      while (position < length && isDigit(text.charAt(position))) {
        if (position - start < 3) {
          millis = millis * 10 + (text.charAt(position) - '0');
        }
        position++;
      }
      final int fractionDigits = position - start;
      if (fractionDigits == 0 || fractionDigits > MAX_FRACTION_DIGITS) {
        return NOT_FAST;
      }
      for (int d = fractionDigits; d < 3; d++) {
        millis *= 10;
      }
    }
    final int offsetSeconds = offsetSeconds(text, position);
    if (offsetSeconds == Integer.MIN_VALUE) {
      return NOT_FAST;
    }
    final long epochDay;
    try {
      // java.time judges the calendar: month 1-12, and the day within that month of that year.
      epochDay = LocalDate.of(year, month, day).toEpochDay();
    } catch (DateTimeException e) {
      return NOT_FAST;
    }
    final long epochSecond =
        epochDay * 86_400L + hour * 3_600L + minute * 60L + second - offsetSeconds;
    return epochSecond * 1_000L + millis;
  }

  /**
   * The offset at {@code position}, which must end the text: {@code Z}, {@code z} or {@code
   * ±hh:mm} with hh below 18 (every such offset is valid); else {@link Integer#MIN_VALUE}.
   */
  private static int offsetSeconds(final CharSequence text, final int position) {
    final int remaining = text.length() - position;
    if (remaining == 1) {
      return (text.charAt(position) | 0x20) == 'z' ? 0 : Integer.MIN_VALUE;
    }
    if (remaining != 6 || text.charAt(position + 3) != ':') {
      return Integer.MIN_VALUE;
    }
    final char sign = text.charAt(position);
    final int hours = digits(text, position + 1, 2);
    final int minutes = digits(text, position + 4, 2);
    if ((sign != '+' && sign != '-') || hours < 0 || hours > 17 || minutes < 0 || minutes > 59) {
      return Integer.MIN_VALUE;
    }
    final int seconds = hours * 3_600 + minutes * 60;
    return sign == '-' ? -seconds : seconds;
  }

  /** The value of {@code count} ASCII digits at {@code start}, or -1 if one is not a digit. */
  private static int digits(final CharSequence text, final int start, final int count) {
    int value = 0;
    for (int i = start; i < start + count; i++) {
      final char c = text.charAt(i);
      if (!isDigit(c)) {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static boolean isDigit(final char c) {
    return c >= '0' && c <= '9';
  }
}
