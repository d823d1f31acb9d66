package org.modelmon.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.DateTimeException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.statistics.Statistics;

/**
 * The hand-read path of {@link Rfc3339} gives exactly what {@link Rfc3339#FORMATTER} gives — the
 * same epoch milliseconds, or a refusal — for valid timestamps and for every near miss: lower-case
 * {@code t} and {@code z}, 0–10 fraction digits, offsets up to and beyond ±18:00, February 29 in
 * leap and common years, 24:00, :60 seconds, missing and extra parts, trailing junk, non-ASCII
 * digits.
 */
class Rfc3339Properties {

  /** What parsing a text gives: epoch milliseconds, or the name of the exception. */
  private record Outcome(Long millis, String refusal) {

    static Outcome of(final ThrowingParse parse) {
      try {
        return new Outcome(parse.epochMilli(), null);
      } catch (DateTimeException | ArithmeticException e) {
        return new Outcome(null, e.getClass().getSimpleName());
      }
    }
  }

  @FunctionalInterface
  private interface ThrowingParse {
    long epochMilli();
  }

  private static Outcome formatter(final String text) {
    return Outcome.of(() -> Rfc3339.FORMATTER.parse(text, Instant::from).toEpochMilli());
  }

  @Property(tries = 20_000)
  void shouldReadNearValidTimestampsExactlyAsTheFormatter(
      @ForAll("nearValidTimestamps") final String text) {
    final long fast = Rfc3339.fastEpochMilli(text);
    final Outcome expected = formatter(text);
    Statistics.label("formatter").collect(expected.millis() != null ? "valid" : "refused");
    Statistics.label("path").collect(fast != Rfc3339.NOT_FAST ? "hand-read" : "formatter");

    if (fast != Rfc3339.NOT_FAST) {
      assertThat(expected.millis()).as(text).isEqualTo(fast);
    }
    assertThat(Outcome.of(() -> Rfc3339.toEpochMilli(text))).as(text).isEqualTo(expected);

    Statistics.label("formatter")
        .coverage(coverage -> coverage.check("valid").percentage(p -> p > 10.0));
    Statistics.label("path")
        .coverage(coverage -> coverage.check("hand-read").percentage(p -> p > 10.0));
  }

  @Property(tries = 5_000)
  void shouldReadAnyShortTextExactlyAsTheFormatter(
      @ForAll("timestampLikeTexts") final String text) {
    final long fast = Rfc3339.fastEpochMilli(text);
    if (fast != Rfc3339.NOT_FAST) {
      assertThat(formatter(text).millis()).as(text).isEqualTo(fast);
    }
    assertThat(Outcome.of(() -> Rfc3339.toEpochMilli(text))).as(text).isEqualTo(formatter(text));
  }

  @Example
  void shouldTakeTheCommonFormsByHand() {
    for (final String text :
        List.of(
            "2026-11-28T14:00:03Z",
            "2026-11-28T14:00:03.120Z",
            "2026-11-28t14:00:03.123456789z",
            "2024-02-29T23:59:59.9-00:00",
            "0000-01-01T00:00:00+17:59",
            "9999-12-31T23:59:59.999999999-17:59")) {
      assertThat(Rfc3339.fastEpochMilli(text)).as(text).isNotEqualTo(Rfc3339.NOT_FAST);
      assertThat(Rfc3339.fastEpochMilli(text)).as(text).isEqualTo(formatter(text).millis());
    }
  }

  @Example
  void shouldLeaveTheRestToTheFormatter() {
    for (final String text :
        List.of(
            "2026-11-28T14:00:03+18:00", // valid, but at the bound: the formatter decides
            "+2026-11-28T14:00:03Z",
            "2026-02-29T14:00:03Z",
            "2026-11-28T24:00:00Z",
            "2026-11-28T14:00:60Z",
            "2026-11-28T14:00:03.Z",
            "2026-11-28T14:00:03.1234567891Z",
            "2026-11-28T14:00:03",
            "2026-11-28T14:00:03Z ",
            "2026-11-28 14:00:03Z",
            "2026-11-28T14:00:0\u0663Z")) {
      assertThat(Rfc3339.fastEpochMilli(text)).as(text).isEqualTo(Rfc3339.NOT_FAST);
    }
  }

  // --- generators ------------------------------------------------------------------------------

  @Provide
  Arbitrary<String> nearValidTimestamps() {
    final Arbitrary<String> date =
        Combinators.combine(years(), field(1, 12, "00", "13", "1", "012"), days())
            .as((year, month, day) -> year + "-" + month + "-" + day);
    final Arbitrary<String> time =
        Combinators.combine(
                field(0, 23, "24", "25", "7"),
                field(0, 59, "60", "5"),
                field(0, 59, "60", "61", "9", "001"),
                fractions())
            .as((hour, minute, second, fraction) -> hour + ":" + minute + ":" + second + fraction);
    final Arbitrary<String> separator =
        Arbitraries.frequencyOf(
            weighted(8, Arbitraries.just("T")),
            weighted(3, Arbitraries.just("t")),
            weighted(1, Arbitraries.of(" ", "_", "TT", "", "\u0422")));
    final Arbitrary<String> text =
        Combinators.combine(date, separator, time, offsets(), junk())
            .as((d, s, t, o, j) -> d + s + t + o + j);
    return Arbitraries.frequencyOf(
        weighted(6, text), weighted(2, text.map(Rfc3339Properties::mutateDigit)),
        weighted(2, Combinators.combine(text, Arbitraries.integers().between(0, 34),
                Arbitraries.of("", "0", "-", ":", ".", "Z", "+"))
            .as(Rfc3339Properties::splice)));
  }

  @Provide
  Arbitrary<String> timestampLikeTexts() {
    return Arbitraries.strings()
        .withChars("0123456789-:.+TtZz \u0660\uFF10")
        .ofMinLength(18)
        .ofMaxLength(36);
  }

  private static Tuple2<Integer, Arbitrary<? extends String>> weighted(
      final int weight, final Arbitrary<String> arbitrary) {
    return Tuple.of(weight, arbitrary);
  }

  /** Mostly four digits near today and the leap-year rules; sometimes a sign or more digits. */
  private static Arbitrary<String> years() {
    return Arbitraries.frequencyOf(
        weighted(6, Arbitraries.integers().between(1960, 2100).map(Rfc3339Properties::fourDigits)),
        weighted(3, Arbitraries.of("2024", "2023", "2000", "1900", "2100", "1970", "1969", "0000",
            "0004", "9999", "1600")),
        weighted(2, Arbitraries.integers().between(0, 9999).map(Rfc3339Properties::fourDigits)),
        weighted(1, Arbitraries.of("+2026", "-2026", "+12026", "12026", "202", "+0000", "-0001",
            "+999999999", "-999999999", "+1000000000")));
  }

  private static String fourDigits(final int year) {
    return String.format(Locale.ROOT, "%04d", year);
  }

  /** Days around every month end, and a few impossible ones. */
  private static Arbitrary<String> days() {
    return Arbitraries.frequencyOf(
        weighted(3, twoDigits(1, 28)),
        weighted(3, Arbitraries.of("28", "29", "30", "31")),
        weighted(1, Arbitraries.of("00", "32", "99", "1", "001")));
  }

  private static Arbitrary<String> fractions() {
    return Arbitraries.frequencyOf(
        weighted(3, Arbitraries.just("")),
        weighted(
            6, Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(9).map(d -> "." + d)),
        weighted(1, Arbitraries.strings().numeric().ofMinLength(10).ofMaxLength(12)
            .map(d -> "." + d)),
        weighted(1, Arbitraries.of(".", ",5", ".5.5")));
  }

  private static Arbitrary<String> offsets() {
    final Arbitrary<String> numeric =
        Combinators.combine(Arbitraries.of("+", "-"), twoDigits(0, 19), twoDigits(0, 60))
            .as((sign, hours, minutes) -> sign + hours + ":" + minutes);
    final Arbitrary<String> valid =
        Combinators.combine(Arbitraries.of("+", "-"), twoDigits(0, 17), twoDigits(0, 59))
            .as((sign, hours, minutes) -> sign + hours + ":" + minutes);
    return Arbitraries.frequencyOf(
        weighted(4, Arbitraries.of("Z", "z")),
        weighted(3, valid),
        weighted(2, numeric),
        weighted(2, Arbitraries.of("-00:00", "+00:00", "+14:00", "-12:00", "+05:30", "+18:00",
            "-18:00", "+17:59", "-17:59", "+18:01")),
        weighted(1, Arbitraries.of("", "+01", "+0100", "+01:00:00", "UTC", "GMT", "+1:00", "Zz")));
  }

  private static Arbitrary<String> junk() {
    return Arbitraries.frequencyOf(
        weighted(12, Arbitraries.just("")),
        weighted(1, Arbitraries.of(" ", "Z", "0", "\u0000", "\n", "[UTC]", "x")));
  }

  /** Mostly a valid two-digit value of a field, sometimes one of its near misses. */
  private static Arbitrary<String> field(
      final int from, final int to, final String... nearMisses) {
    return Arbitraries.frequencyOf(
        weighted(9, twoDigits(from, to)), weighted(1, Arbitraries.of(nearMisses)));
  }

  /** {@code from}–{@code to} with two digits, as the fields are written. */
  private static Arbitrary<String> twoDigits(final int from, final int to) {
    return Arbitraries.integers().between(from, to).map(v -> String.format(Locale.ROOT, "%02d", v));
  }

  /** Replaces one ASCII digit by a digit of another script, or by a near-digit character. */
  private static String mutateDigit(final String text) {
    final int at = Math.floorMod(text.hashCode(), Math.max(1, text.length()));
    for (int i = 0; i < text.length(); i++) {
      final int index = (at + i) % text.length();
      final char c = text.charAt(index);
      if (c >= '0' && c <= '9') {
        final char[] replacements = {
          (char) ('\u0660' + (c - '0')), // Arabic-Indic
          (char) ('\uFF10' + (c - '0')), // full width
          (char) ('\u0966' + (c - '0')), // Devanagari
          '/', ':', 'O'
        };
        final char replacement = replacements[Math.floorMod(text.hashCode() >> 8, 6)];
        return text.substring(0, index) + replacement + text.substring(index + 1);
      }
    }
    return text;
  }

  /** Deletes the character at {@code position} and inserts {@code insert} there. */
  private static String splice(final String text, final int position, final String insert) {
    final int at = Math.min(position, text.length());
    final int end = Math.min(at + 1, text.length());
    return text.substring(0, at) + insert + text.substring(end);
  }
}
