package org.modelmon.detector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Edge cases of the baseline the warm-up learns, beyond the reference fixtures. */
class BaselineTest {

  private static final double EXACT = 1e-15;

  @Test
  void shouldGiveABinOfNearCertainPredictionsThePooledRateNotAnUnboundedOne() {
    // Bin 9 holds 20 near-certain predictions, q = (1, 1e-320): V(q) ≈ 3e-318 each, and one of
    // them missed, an excess of −ln ε ≈ 34.5 (the log loss is clipped, V(q) is not). Bin 5 holds
    // 20 ordinary ones: V 0.5 each, excess 0.1 each.
    final double tinyVariance = 3e-318;
    final List<WindowEvidence> warmup =
        List.of(window(0, 34.5, 10 * tinyVariance), window(60_000, 0.0, 10 * tinyVariance));

    final Baseline baseline = Baseline.learn(warmup, 1);

    // E_9 / V_9 would be about 6e318, infinite as a double; the bin gets β instead,
    final double pooled = (34.5 + 2.0) / (20 * 0.5 + 20 * tinyVariance);
    assertThat(baseline.excessPerVariance()).isCloseTo(pooled, within(EXACT));
    assertThat(baseline.excessPerVarianceByBin()[9]).isEqualTo(baseline.excessPerVariance());
    assertThat(baseline.excessPerVarianceByBin()[5]).isCloseTo(0.1 / 0.5, within(EXACT));
    // and the dispersion and every later z stay numbers.
    assertThat(baseline.dispersion()).isFinite();
    assertThat(baseline.standardise(window(120_000, 0.0, 10 * 0.5))).isFinite();
  }

  @Test
  void shouldCountTheNullVarianceNoBinHoldsAtThePooledRate() {
    final Baseline baseline = Baseline.learn(List.of(window(0, 0, 1.0), window(1, 0, 1.0)), 1);
    // A window whose bins hold 5.0 of its V = 8.0 (events binned before a change of bin count):
    final WindowEvidence partlyBinned =
        new WindowEvidence(
            0,
            60_000,
            40,
            3.0,
            8.0,
            new long[] {0, 0, 0, 0, 0, 10, 0, 0, 0, 0},
            new double[] {0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0},
            new double[] {0, 0, 0, 0, 0, 5.0, 0, 0, 0, 0});

    // e_w = β_5·5 + β·(8 − 5).
    assertThat(baseline.expectedExcess(partlyBinned))
        .isCloseTo(
            baseline.excessPerVarianceByBin()[5] * 5.0 + baseline.excessPerVariance() * 3.0,
            within(EXACT));
  }

  /**
   * A window of 10 bins: 10 events in bin 5 (V 0.5 and excess 0.1 each) and 10 in bin 9 with excess
   * {@code topExcess} and null variance {@code topVariance} in all.
   */
  private static WindowEvidence window(
      final long start, final double topExcess, final double topVariance) {
    final long[] labelled = new long[10];
    final double[] excess = new double[10];
    final double[] variance = new double[10];
    labelled[5] = 10;
    excess[5] = 1.0;
    variance[5] = 5.0;
    labelled[9] = 10;
    excess[9] = topExcess;
    variance[9] = topVariance;
    return new WindowEvidence(
        start, start + 60_000, 20, 1.0 + topExcess, 5.0 + topVariance, labelled, excess, variance);
  }
}
