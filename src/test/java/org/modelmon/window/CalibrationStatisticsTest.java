package org.modelmon.window;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;
import org.modelmon.event.ParserLimits;
import org.modelmon.event.PredictionParser;
import org.modelmon.reference.ReferenceLookup;
import org.modelmon.topology.PredictionScorer;

/**
 * What the calibration fields say about models whose calibration is known by construction: each
 * event's true class is drawn from a distribution p, and the model predicts p itself (calibrated),
 * p sharpened (over-confident) or p flattened (under-confident). Events go through the parser, the
 * scorer, four partial aggregates (as four input partitions) and the window result, as in the
 * application.
 *
 * <p>For a calibrated model each ℓ has mean H(q) and variance V(q), so the window's z-score Σ(ℓ −
 * H(q)) / √ΣV(q) is about N(0, 1): the test holds the distribution of z over many windows against
 * the standard normal (mean, spread and a Kolmogorov–Smirnov distance), not one value. The random
 * draws are seeded, so the test is deterministic; its bounds are ones a correct implementation
 * meets with room and a wrong variance or entropy (off by a factor, a sign) cannot.
 */
class CalibrationStatisticsTest {

  private static final int CLASSES = 4;
  private static final int WINDOWS = 400;
  private static final int EVENTS_PER_WINDOW = 200;
  private static final int PARTITIONS = 4;
  private static final long T0 = 1_795_874_400_000L;
  private static final OpenWindowKey WINDOW = new OpenWindowKey(T0 + 60_000, 60_000, "m", "");

  private final PredictionParser parser = new PredictionParser(ParserLimits.DEFAULTS);
  private final PredictionScorer scorer = new PredictionScorer(1e-15);

  @Test
  void shouldGiveACalibratedModelZScoresThatAreStandardNormal() {
    final double[] z = zScores(1.0, new Random(20261207));

    final double mean = Arrays.stream(z).average().orElseThrow();
    final double sd =
        Math.sqrt(Arrays.stream(z).map(v -> (v - mean) * (v - mean)).sum() / (z.length - 1));
    // Standard errors over 400 windows: 0.05 for the mean, about 0.035 for the spread.
    assertThat(mean).isBetween(-0.2, 0.2);
    assertThat(sd).isBetween(0.88, 1.12);
    // The 1% critical Kolmogorov–Smirnov distance for 400 draws is 1.63 / √400 ≈ 0.081.
    assertThat(kolmogorovSmirnovDistance(z)).isLessThan(0.081);
  }

  @Test
  void shouldGiveAnOverConfidentModelPositiveExcessAndAnUnderConfidentOneNegative() {
    // Over-confident: q ∝ p², sharper than the world. Its log loss exceeds its own expectation.
    final List<WindowResult> overConfident = windows(2.0, new Random(7));
    assertThat(overConfident)
        .allSatisfy(window -> assertThat(window.excessLogLossMean()).isPositive());
    assertThat(meanZ(overConfident)).isGreaterThan(3.0);
    // Its confidence runs ahead of its accuracy.
    assertThat(overConfident)
        .allSatisfy(w -> assertThat(w.meanConfidence()).isGreaterThan(w.accuracy()));

    // Under-confident: q ∝ √p, flatter than the world. Its log loss falls short of H(q).
    final List<WindowResult> underConfident = windows(0.5, new Random(8));
    assertThat(underConfident)
        .allSatisfy(window -> assertThat(window.excessLogLossMean()).isNegative());
    assertThat(meanZ(underConfident)).isLessThan(-3.0);
    assertThat(underConfident)
        .allSatisfy(w -> assertThat(w.meanConfidence()).isLessThan(w.accuracy()));
  }

  private static double meanZ(final List<WindowResult> windows) {
    return windows.stream().mapToDouble(WindowResult::calibrationZ).average().orElseThrow();
  }

  /** The calibration z-score of each window of a model predicting p^sharpness, renormalised. */
  private double[] zScores(final double sharpness, final Random random) {
    return windows(sharpness, random).stream().mapToDouble(WindowResult::calibrationZ).toArray();
  }

  private List<WindowResult> windows(final double sharpness, final Random random) {
    final List<WindowResult> results = new ArrayList<>();
    for (int w = 0; w < WINDOWS; w++) {
      final List<WindowAggregate> partials = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        partials.add(new WindowAggregate(100, 10));
      }
      for (int e = 0; e < EVENTS_PER_WINDOW; e++) {
        final double[] world = randomDistribution(random);
        final int label = draw(world, random);
        final double[] q = new double[CLASSES];
        double total = 0;
        for (int c = 0; c < CLASSES; c++) {
          q[c] = Math.pow(world[c], sharpness);
          total += q[c];
        }
        for (int c = 0; c < CLASSES; c++) {
          q[c] /= total;
        }
        final byte[] json = event(q, label).getBytes(StandardCharsets.UTF_8);
        final var parsed = parser.parse(json, T0, T0, ReferenceLookup.NONE);
        partials.get(e % PARTITIONS).add(scorer.score(parsed));
      }
      final WindowAggregate window = new WindowAggregate(100, 10);
      // Each partial through its binary form, as the aggregation topic carries it.
      partials.forEach(p -> window.add(WindowAggregate.fromBytes(p.toBytes(), 100, 10)));
      results.add(WindowResult.of(WINDOW, "1m", window, null, 1e-15));
    }
    return results;
  }

  /** p drawn from a softmax of normal logits: from nearly certain to nearly flat. */
  private static double[] randomDistribution(final Random random) {
    final double[] p = new double[CLASSES];
    double total = 0;
    for (int c = 0; c < CLASSES; c++) {
      p[c] = Math.exp(1.5 * random.nextGaussian());
      total += p[c];
    }
    for (int c = 0; c < CLASSES; c++) {
      p[c] /= total;
    }
    return p;
  }

  private static int draw(final double[] p, final Random random) {
    double u = random.nextDouble();
    for (int c = 0; c < p.length - 1; c++) {
      u -= p[c];
      if (u < 0) {
        return c;
      }
    }
    return p.length - 1;
  }

  private static String event(final double[] q, final int label) {
    final StringJoiner probabilities = new StringJoiner(", ", "[", "]");
    for (final double qc : q) {
      // Enough digits that the parser's renormalisation changes q by rounding only.
      probabilities.add(String.format(Locale.ROOT, "%.17g", qc));
    }
    return "{\"model\": \"m\", \"timestamp\": "
        + T0
        + ", \"probabilities\": "
        + probabilities
        + ", \"label\": "
        + label
        + "}";
  }

  /** sup |F_n(x) − Φ(x)| of the sample against the standard normal distribution. */
  private static double kolmogorovSmirnovDistance(final double[] sample) {
    final double[] sorted = sample.clone();
    Arrays.sort(sorted);
    double distance = 0;
    for (int i = 0; i < sorted.length; i++) {
      final double phi = standardNormalCdf(sorted[i]);
      distance =
          Math.max(
              distance,
              Math.max((i + 1.0) / sorted.length - phi, phi - (double) i / sorted.length));
    }
    return distance;
  }

  /** Φ(x) = (1 + erf(x/√2)) / 2, erf by Abramowitz and Stegun 7.1.26 (error below 1.5e-7). */
  private static double standardNormalCdf(final double x) {
    final double t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.sqrt(2));
    final double poly =
        t
            * (0.254829592
                + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    final double erf = 1 - poly * Math.exp(-x * x / 2);
    return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
  }
}
