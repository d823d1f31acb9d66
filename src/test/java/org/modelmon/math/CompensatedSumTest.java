package org.modelmon.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.math.BigDecimal;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Holds {@link CompensatedSum} against exact sums: each expected value is the sum of the very same
 * double terms computed in {@link BigDecimal}, then rounded once to a double.
 */
class CompensatedSumTest {

  private static final int TEN_MILLION = 10_000_000;

  @Test
  void shouldStartAtZero() {
    final CompensatedSum sum = new CompensatedSum();

    assertThat(sum.value()).isEqualTo(0.0);
    assertThat(sum.sum()).isEqualTo(0.0);
    assertThat(sum.compensation()).isEqualTo(0.0);
  }

  @Test
  void shouldSumTenMillionTenthsToTheExactValue() {
    // The double 0.1 is 0.1000000000000000055511151231257827…; ten million of them sum to
    // 1000000.0000000000555…, whose nearest double is 1e6.
    final double exact = exactTimes(0.1, TEN_MILLION);
    final CompensatedSum compensated = new CompensatedSum();
    double naive = 0.0;

    for (int i = 0; i < TEN_MILLION; i++) {
      compensated.add(0.1);
      naive += 0.1;
    }

    assertThat(exact).isEqualTo(1e6);
    // Naive summation drifts by about 1.6e-4, a million ulps of the result.
    assertThat(Math.abs(naive - exact)).isGreaterThan(1e-5);
    assertThat(compensated.value()).isCloseTo(exact, offset(Math.ulp(exact)));
  }

  @Test
  void shouldKeepTinyTermsAddedToALargeOne() {
    // 1e-16 is below half an ulp of 1.0 (1.1e-16), so naive summation drops every one of them;
    // together they are worth 1e-9, some four million ulps of 1.0.
    final CompensatedSum compensated = new CompensatedSum();
    compensated.add(1.0);
    double naive = 1.0;

    for (int i = 0; i < TEN_MILLION; i++) {
      compensated.add(1e-16);
      naive += 1e-16;
    }

    final double exact =
        new BigDecimal(1.0)
            .add(new BigDecimal(1e-16).multiply(BigDecimal.valueOf(TEN_MILLION)))
            .doubleValue();
    assertThat(naive).isEqualTo(1.0);
    assertThat(exact).isCloseTo(1.0 + 1e-9, offset(1e-15));
    assertThat(compensated.value()).isCloseTo(exact, offset(Math.ulp(exact)));
  }

  @Test
  void shouldRecoverFromCatastrophicCancellation() {
    assertThat(sumOf(1e100, 1.0, -1e100).value()).isEqualTo(1.0);
    // Plain Kahan summation gives 0.0 here; Neumaier's variant also compensates a term larger
    // than the running sum.
    assertThat(sumOf(1.0, 1e100, 1.0, -1e100).value()).isEqualTo(2.0);
    assertThat(1e100 + 1.0 - 1e100).isEqualTo(0.0);
  }

  @Test
  void shouldSumLogLossesOfMixedMagnitudeToWithinOneUlp() {
    // Log losses range from ~1e-12 (confident and right) to 34.5 (clipped at epsilon 1e-15).
    final SplittableRandom random = new SplittableRandom(42);
    final CompensatedSum compensated = new CompensatedSum();
    BigDecimal exact = BigDecimal.ZERO;

    for (int i = 0; i < 100_000; i++) {
      final double logLoss = Math.pow(10.0, random.nextDouble(-12.0, Math.log10(34.5)));
      compensated.add(logLoss);
      exact = exact.add(new BigDecimal(logLoss));
    }

    final double expected = exact.doubleValue();
    assertThat(compensated.value()).isCloseTo(expected, offset(Math.ulp(expected)));
  }

  @Test
  void shouldMergeTwoSumsAsIfOneHadSeenEveryTerm() {
    // Two halves of the ten million tenths, e.g. two partitions' window aggregates.
    final CompensatedSum first = new CompensatedSum();
    final CompensatedSum second = new CompensatedSum();
    for (int i = 0; i < TEN_MILLION / 2; i++) {
      first.add(0.1);
      second.add(0.1);
    }

    first.add(second);

    final double exact = exactTimes(0.1, TEN_MILLION);
    assertThat(first.value()).isCloseTo(exact, offset(Math.ulp(exact)));
    assertThat(second.value()).isCloseTo(exact / 2, offset(Math.ulp(exact / 2)));
  }

  @Test
  void shouldKeepBothPartsOfTheMergedSum() {
    // Each side carries 1e-10 only in its compensation: its running sum is still exactly 1.0.
    final CompensatedSum first = new CompensatedSum();
    final CompensatedSum second = new CompensatedSum();
    first.add(1.0);
    second.add(1.0);
    for (int i = 0; i < 1_000_000; i++) {
      first.add(1e-16);
      second.add(1e-16);
    }
    assertThat(second.sum()).isEqualTo(1.0);

    first.add(second);

    final double exact =
        new BigDecimal(2.0)
            .add(new BigDecimal(1e-16).multiply(BigDecimal.valueOf(2_000_000)))
            .doubleValue();
    assertThat(first.value()).isCloseTo(exact, offset(Math.ulp(exact)));
  }

  @Test
  void shouldCancelAcrossMergedSums() {
    final CompensatedSum first = sumOf(1e100, 1.0);
    final CompensatedSum second = sumOf(-1e100, 1.0);

    first.add(second);

    assertThat(first.value()).isEqualTo(2.0);
  }

  @Test
  void shouldDoubleWhenMergedIntoItself() {
    // add(other) reads other's parts after changing its own: aliasing must not lose a part.
    final CompensatedSum sum = sumOf(1.0, 1e100, 1.0, -1e100, 0.1);

    sum.add(sum);

    assertThat(sum.value()).isEqualTo(4.2);
  }

  @Test
  void shouldRestoreFromSumAndCompensation() {
    final CompensatedSum original = sumOf(1.0, 1e-16, 1e-16, 1e-16, 0.1, 0.2);
    assertThat(original.compensation()).isNotZero();

    final CompensatedSum restored = CompensatedSum.of(original.sum(), original.compensation());

    assertThat(restored.sum()).isEqualTo(original.sum());
    assertThat(restored.compensation()).isEqualTo(original.compensation());
    assertThat(restored.value()).isEqualTo(original.value());
    // A restored sum carries on exactly as the original would have.
    for (int i = 0; i < 1000; i++) {
      original.add(0.1 * i);
      restored.add(0.1 * i);
    }
    assertThat(restored.sum()).isEqualTo(original.sum());
    assertThat(restored.compensation()).isEqualTo(original.compensation());
  }

  @Test
  void shouldCopyIndependently() {
    final CompensatedSum original = sumOf(1e100, 1.0);

    final CompensatedSum copy = original.copy();
    copy.add(-1e100);

    assertThat(copy.value()).isEqualTo(1.0);
    assertThat(original.value()).isEqualTo(1e100);
    assertThat(original.compensation()).isEqualTo(1.0);
  }

  @Test
  void shouldPrintItsCompensatedValue() {
    assertThat(sumOf(1e100, 1.0, -1e100)).hasToString("1.0");
  }

  private static CompensatedSum sumOf(final double... values) {
    final CompensatedSum sum = new CompensatedSum();
    for (final double value : values) {
      sum.add(value);
    }
    return sum;
  }

  /** {@code count} copies of {@code value}, summed exactly and rounded once. */
  private static double exactTimes(final double value, final long count) {
    return new BigDecimal(value).multiply(BigDecimal.valueOf(count)).doubleValue();
  }
}
