package org.modelmon.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks {@link InformationTheory} against the math of docs/reference.md#the-math: hand-computed
 * values, scikit-learn and SciPy reference values ({@code fixtures/math-fixtures.json}, made by
 * {@code generate_math_fixtures.py}), the identity H(p,q) = D(p‖q) + H(p), and clipping at ε.
 */
class InformationTheoryTest {

  /** The default {@code modelmon.epsilon} (docs/reference.md#configuration). */
  private static final double EPSILON = 1e-15;

  /** The agreement with scikit-learn and SciPy that docs/reference.md#the-math states. */
  private static final double RELATIVE = 1e-9;

  private static final double LN_2 = 0.6931471805599453;

  @Nested
  class HandComputed {

    @Test
    void shouldScoreAnEvenPredictionAsLnTwo() {
      assertThat(InformationTheory.logLoss(0.5, EPSILON)).isCloseTo(LN_2, offset(Math.ulp(LN_2)));
    }

    @Test
    void shouldScoreACertainCorrectPredictionAsPositiveZero() {
      // Double.compare tells +0.0 from −0.0, which == and isZero() do not.
      assertThat(Double.compare(InformationTheory.logLoss(1.0, EPSILON), 0.0)).isZero();
    }

    @Test
    void shouldScoreAOneInTenPredictionAsLnTen() {
      assertThat(InformationTheory.logLoss(0.1, EPSILON))
          .isCloseTo(2.302585092994046, offset(1e-15));
    }

    @Test
    void shouldGiveZeroDivergenceBetweenIdenticalDistributions() {
      final double[] p = {0.2, 0.0, 0.3, 0.5};

      assertThat(InformationTheory.klDivergence(p, p.clone(), EPSILON)).isZero();
      assertThat(InformationTheory.crossEntropy(p, p.clone(), EPSILON))
          .isEqualTo(InformationTheory.entropy(p));
    }

    @Test
    void shouldComputeBinaryDivergenceWorkedOutByHand() {
      // p = (1/2, 1/2), q = (1/4, 3/4):
      // D(p‖q) = 1/2 ln((1/2)/(1/4)) + 1/2 ln((1/2)/(3/4)) = 1/2 ln 2 + 1/2 ln(2/3)
      //        = 1/2 ln(4/3) = 0.143841036225890…
      // H(p) = ln 2; H(p,q) = −1/2 ln(1/4) − 1/2 ln(3/4) = ln 2 + 1/2 ln(4/3) = 0.837…
      final double[] p = {0.5, 0.5};
      final double[] q = {0.25, 0.75};
      final double divergence = 0.14384103622589045;

      assertThat(InformationTheory.klDivergence(p, q, EPSILON))
          .isCloseTo(divergence, offset(1e-16));
      assertThat(InformationTheory.entropy(p)).isCloseTo(LN_2, offset(1e-16));
      assertThat(InformationTheory.crossEntropy(p, q, EPSILON))
          .isCloseTo(LN_2 + divergence, offset(1e-15));
      // D is not symmetric: D(q‖p) = 1/4 ln(1/2) + 3/4 ln(3/2) = 0.130812035941137…
      assertThat(InformationTheory.klDivergence(q, p, EPSILON))
          .isCloseTo(0.13081203594113694, offset(1e-16));
    }

    @Test
    void shouldGiveLnKAsEntropyOfTheUniformDistribution() {
      final double[] uniform = new double[8];
      Arrays.fill(uniform, 0.125);

      assertThat(InformationTheory.entropy(uniform)).isCloseTo(3 * LN_2, offset(1e-15));
    }

    @Test
    void shouldGiveZeroEntropyToAOneHotDistribution() {
      assertThat(InformationTheory.entropy(new double[] {0.0, 1.0, 0.0})).isZero();
    }

    @Test
    void shouldComputeLabelDriftWorkedOutByHand() {
      // p = (1/2, 1/2), one label of class 0: p̂ = ((1 + 0.5)/(1 + 1), (0 + 0.5)/(1 + 1))
      // = (3/4, 1/4), D(p‖p̂) = 1/2 ln(2/3) + 1/2 ln 2 = 1/2 ln(4/3).
      final double drift =
          InformationTheory.labelDrift(new double[] {0.5, 0.5}, new long[] {1, 0}, EPSILON);

      assertThat(drift).isCloseTo(0.14384103622589045, offset(1e-16));
    }

    @Test
    void shouldMeasureLabelDriftOfAnEmptyWindowAgainstUniform() {
      // No labels: p̂ = (0.5/1, 0.5/1) = (1/2, 1/2), D = 0.9 ln 1.8 + 0.1 ln 0.2.
      final double drift =
          InformationTheory.labelDrift(new double[] {0.9, 0.1}, new long[] {0, 0}, EPSILON);

      assertThat(drift).isCloseTo(0.9 * Math.log(1.8) + 0.1 * Math.log(0.2), offset(1e-15));
    }

    @Test
    void shouldGiveNoLabelDriftWhenTheSmoothedMixMatchesTheReference() {
      // n = 8 over K = 2: p̂ = (6.5/9, 2.5/9); the reference is exactly that mix.
      final double[] p = {6.5 / 9, 2.5 / 9};

      assertThat(InformationTheory.labelDrift(p, new long[] {6, 2}, EPSILON))
          .isCloseTo(0.0, offset(1e-16));
    }

    @Test
    void shouldMeasurePredictionDriftAsDivergenceFromTheMeanPrediction() {
      // p = (1/2, 1/2), q̄ = (1/4, 3/4): D(p‖q̄) = 1/2 ln(4/3) as above, not the reverse
      // D(q̄‖p) = 0.130812035941137…, which swapped arguments would give.
      final double[] p = {0.5, 0.5};
      final double[] meanPrediction = {0.25, 0.75};

      assertThat(InformationTheory.predictionDrift(p, meanPrediction, EPSILON))
          .isCloseTo(0.14384103622589045, offset(1e-16));
    }
  }

  @Nested
  class AgainstScikitLearnAndSciPy {

    @Test
    void shouldReadFixturesMadeByTheReferenceLibraries() {
      final Fixtures fixtures = Fixtures.load();

      assertThat(fixtures.versions()).containsKeys("numpy", "scipy", "scikit-learn");
      assertThat(fixtures.logLoss()).hasSizeGreaterThanOrEqualTo(10);
      assertThat(fixtures.kl()).hasSizeGreaterThanOrEqualTo(10);
      assertThat(fixtures.labelDrift()).hasSizeGreaterThanOrEqualTo(8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.modelmon.math.InformationTheoryTest#logLossCases")
    void shouldAgreeWithSklearnMeanLogLoss(final LogLossCase fixture) {
      final CompensatedSum total = new CompensatedSum();
      for (int i = 0; i < fixture.labels().length; i++) {
        final double[] prediction = fixture.probabilities()[i];
        assertThat(prediction).hasSize(fixture.classes());
        total.add(InformationTheory.logLoss(prediction[fixture.labels()[i]], EPSILON));
      }
      final double mean = total.value() / fixture.labels().length;

      assertRelativelyClose(mean, fixture.expectedMeanLogLoss(), 0.0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.modelmon.math.InformationTheoryTest#klCases")
    void shouldAgreeWithScipyKlDivergence(final KlCase fixture) {
      // Absolute slack only for the identical-distributions case, whose expected value is 0.
      assertRelativelyClose(
          InformationTheory.klDivergence(fixture.p(), fixture.q(), EPSILON),
          fixture.expectedKlDivergence(),
          1e-15);
      assertRelativelyClose(
          InformationTheory.predictionDrift(fixture.p(), fixture.q(), EPSILON),
          fixture.expectedKlDivergence(),
          1e-15);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.modelmon.math.InformationTheoryTest#klCases")
    void shouldAgreeWithScipyEntropy(final KlCase fixture) {
      assertRelativelyClose(
          InformationTheory.entropy(fixture.p()), fixture.expectedEntropy(), 1e-15);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.modelmon.math.InformationTheoryTest#klCases")
    void shouldAgreeWithNumpyCrossEntropy(final KlCase fixture) {
      final double kl = InformationTheory.klDivergence(fixture.p(), fixture.q(), EPSILON);
      final double entropy = InformationTheory.entropy(fixture.p());

      assertRelativelyClose(
          InformationTheory.crossEntropy(fixture.p(), fixture.q(), EPSILON),
          fixture.expectedCrossEntropy(),
          0.0);
      assertRelativelyClose(
          InformationTheory.crossEntropyFromIdentity(kl, entropy),
          fixture.expectedCrossEntropy(),
          0.0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("org.modelmon.math.InformationTheoryTest#labelDriftCases")
    void shouldAgreeWithScipyLabelDrift(final LabelDriftCase fixture) {
      assertRelativelyClose(
          InformationTheory.labelDrift(fixture.p(), fixture.labelCounts(), EPSILON),
          fixture.expectedLabelDrift(),
          0.0);
    }
  }

  @Nested
  class CrossEntropyIdentity {

    private static final int TRIALS = 5_000;

    @Test
    void shouldSplitCrossEntropyIntoDivergenceAndEntropy() {
      final SplittableRandom random = new SplittableRandom(20261128);
      for (int trial = 0; trial < TRIALS; trial++) {
        final int classes = random.nextInt(2, 51);
        final double[] p = randomDistribution(random, classes, 0.3);
        final double[] q = randomDistribution(random, classes, 0.05);

        final double crossEntropy = InformationTheory.crossEntropy(p, q, EPSILON);
        final double divergence = InformationTheory.klDivergence(p, q, EPSILON);
        final double entropy = InformationTheory.entropy(p);

        assertIdentity(crossEntropy, divergence + entropy, p, q);
        assertIdentity(
            InformationTheory.crossEntropyFromIdentity(divergence, entropy), crossEntropy, p, q);
      }
    }

    @Test
    void shouldEqualLogLossForAOneHotReference() {
      // H(δ_y) = 0, so D(δ_y‖q) = H(δ_y, q) = −ln q(y).
      final SplittableRandom random = new SplittableRandom(7);
      for (int trial = 0; trial < TRIALS; trial++) {
        final int classes = random.nextInt(2, 51);
        final int label = random.nextInt(classes);
        final double[] oneHot = new double[classes];
        oneHot[label] = 1.0;
        final double[] q = randomDistribution(random, classes, 0.05);
        final double logLoss = InformationTheory.logLoss(q[label], EPSILON);

        assertThat(InformationTheory.entropy(oneHot)).isZero();
        assertThat(InformationTheory.crossEntropy(oneHot, q, EPSILON)).isEqualTo(logLoss);
        assertIdentity(InformationTheory.klDivergence(oneHot, q, EPSILON), logLoss, oneHot, q);
      }
    }

    private static void assertIdentity(
        final double actual, final double expected, final double[] p, final double[] q) {
      assertThat(actual)
          .as(() -> "p=" + Arrays.toString(p) + " q=" + Arrays.toString(q))
          .isFinite()
          .isCloseTo(expected, offset(Math.max(1e-12, RELATIVE * Math.abs(expected))));
    }
  }

  @Nested
  class ClippingAtEpsilon {

    @Test
    void shouldScoreAZeroProbabilityOfTheLabelAsMinusLnEpsilon() {
      assertThat(InformationTheory.logLoss(0.0, EPSILON)).isEqualTo(-Math.log(EPSILON));
      assertThat(InformationTheory.logLoss(1e-20, EPSILON)).isEqualTo(-Math.log(EPSILON));
      assertThat(InformationTheory.logLoss(Double.MIN_VALUE, EPSILON))
          .isEqualTo(-Math.log(EPSILON));
      assertThat(InformationTheory.logLoss(0.0, 1e-7)).isEqualTo(-Math.log(1e-7));
      assertThat(-Math.log(EPSILON)).isCloseTo(34.538776394910684, offset(1e-14));
    }

    @Test
    void shouldNotClipAProbabilityAtOrAboveEpsilon() {
      assertThat(InformationTheory.logLoss(EPSILON, EPSILON)).isEqualTo(-Math.log(EPSILON));
      assertThat(InformationTheory.logLoss(2e-15, EPSILON)).isEqualTo(-Math.log(2e-15));
    }

    @Test
    void shouldUseEpsilonForAReferenceClassThePredictionRulesOut() {
      // p = (1/2, 1/2), q = (1, 0): D = 1/2 ln(1/2) + 1/2 ln((1/2)/ε) = 1/2 ln(1/(4ε)),
      // H(p,q) = −1/2 ln 1 − 1/2 ln ε = −1/2 ln ε; without clipping both would be infinite.
      final double[] p = {0.5, 0.5};
      final double[] q = {1.0, 0.0};

      assertThat(InformationTheory.klDivergence(p, q, EPSILON))
          .isFinite()
          .isCloseTo(0.5 * Math.log(0.25 / EPSILON), offset(1e-14))
          .isCloseTo(16.576241016895397, offset(1e-14));
      assertThat(InformationTheory.crossEntropy(p, q, EPSILON))
          .isCloseTo(-0.5 * Math.log(EPSILON), offset(1e-14));
      // A mean prediction that rules a reference class out is clipped alike.
      assertThat(InformationTheory.predictionDrift(p, q, EPSILON))
          .isCloseTo(16.576241016895397, offset(1e-14));
    }

    @Test
    void shouldIgnoreAPredictedZeroWhereTheReferenceIsZero() {
      // 0 · ln(0/0) counts as 0: no ε, no NaN.
      final double[] p = {0.5, 0.0, 0.5};
      final double[] q = {0.5, 0.0, 0.5};

      assertThat(InformationTheory.klDivergence(p, q, EPSILON)).isZero();
      assertThat(InformationTheory.crossEntropy(p, q, EPSILON)).isCloseTo(LN_2, offset(1e-16));
    }

    @Test
    void shouldStayFiniteForAnyPredictionInTheUnitInterval() {
      final double[] special = {
        0.0,
        Double.MIN_VALUE,
        Double.MIN_NORMAL,
        1e-300,
        EPSILON / 2,
        EPSILON,
        Math.nextUp(EPSILON),
        0.5,
        Math.nextDown(1.0),
        1.0
      };
      final SplittableRandom random = new SplittableRandom(99);
      for (int trial = 0; trial < 20_000; trial++) {
        final int classes = random.nextInt(2, 12);
        final double[] p = new double[classes];
        final double[] q = new double[classes];
        final long[] labelCounts = new long[classes];
        for (int c = 0; c < classes; c++) {
          p[c] = special[random.nextInt(special.length)];
          q[c] =
              random.nextBoolean() ? special[random.nextInt(special.length)] : random.nextDouble();
          labelCounts[c] = random.nextBoolean() ? 0 : random.nextLong(1L << 40);
        }
        final Supplier<String> inputs =
            () -> "p=" + Arrays.toString(p) + " q=" + Arrays.toString(q);

        assertThat(InformationTheory.logLoss(q[0], EPSILON))
            .as(inputs)
            .isBetween(0.0, -Math.log(EPSILON));
        assertThat(InformationTheory.entropy(p)).as(inputs).isFinite().isNotNegative();
        assertThat(InformationTheory.crossEntropy(p, q, EPSILON))
            .as(inputs)
            .isFinite()
            .isNotNegative();
        assertThat(InformationTheory.klDivergence(p, q, EPSILON)).as(inputs).isFinite();
        assertThat(InformationTheory.predictionDrift(p, q, EPSILON)).as(inputs).isFinite();
        assertThat(InformationTheory.labelDrift(p, labelCounts, EPSILON)).as(inputs).isFinite();
      }
    }

    @Test
    void shouldGiveTheDivergenceOfNearlyEqualDistributionsToRoundingAndNeverBelowZero() {
      // q is p with a share of one class moved to the next, by a relative amount from 1e-2 down
      // to 1e-9. The expected D comes from the series of the two changed terms, computed here
      // independently: with δa = p_a − q_a and δb = q_b − p_b (both exact in floating point),
      //   D = (δa − δb) + Σ_{k≥2} [δa^k / (k p_a^(k−1)) + (−1)^k δb^k / (k p_b^(k−1))].
      // D must match it to rounding (1e-15: the terms are below 1, each rounded once), and must
      // never be negative, although for the smallest moves the sum of the rounded terms can be:
      // a Prometheus counter refuses a negative increment.
      final SplittableRandom random = new SplittableRandom(3);
      int belowRounding = 0;
      for (int trial = 0; trial < 20_000; trial++) {
        final int classes = random.nextInt(2, 51);
        final double[] p = new double[classes];
        double total = 0.0;
        for (int c = 0; c < classes; c++) {
          p[c] = 0.05 - Math.log(1.0 - random.nextDouble());
          total += p[c];
        }
        for (int c = 0; c < classes; c++) {
          p[c] /= total;
        }
        final double[] q = p.clone();
        final int from = random.nextInt(classes);
        final int to = (from + 1) % classes;
        final double relative = Math.pow(10, -2 - 7 * random.nextDouble());
        final double moved = Math.min(p[from], p[to]) * relative;
        q[from] -= moved;
        q[to] += moved;
        final double da = p[from] - q[from];
        final double db = q[to] - p[to];
        double expected = da - db;
        for (int k = 2; k <= 12; k++) {
          expected += Math.pow(da, k) / (k * Math.pow(p[from], k - 1));
          expected += (k % 2 == 0 ? 1 : -1) * Math.pow(db, k) / (k * Math.pow(p[to], k - 1));
        }
        final double divergence = InformationTheory.klDivergence(p, q, EPSILON);
        if (expected < 1e-15) {
          belowRounding++;
        }

        assertThat(divergence)
            .as("p=%s q=%s", Arrays.toString(p), Arrays.toString(q))
            .isNotNegative()
            .isCloseTo(expected, offset(1e-15 + RELATIVE * expected));
        assertThat(Double.compare(divergence, 0.0)).as("not −0.0").isNotNegative();
      }
      // The draws must reach divergences below rounding, where the clamp at 0 matters.
      assertThat(belowRounding).isGreaterThan(1_000);
    }
  }

  /**
   * A random distribution over {@code classes}: normalised exponential draws (a flat Dirichlet),
   * each class zero with probability {@code zeroShare} (at least one class non-zero), and now and
   * then a class far below ε.
   */
  private static double[] randomDistribution(
      final SplittableRandom random, final int classes, final double zeroShare) {
    final double[] distribution = new double[classes];
    double total = 0.0;
    for (int c = 0; c < classes; c++) {
      if (random.nextDouble() < zeroShare) {
        continue;
      }
      distribution[c] =
          random.nextDouble() < 0.02 ? 1e-18 : -Math.log(1.0 - random.nextDouble());
      total += distribution[c];
    }
    if (total == 0.0) {
      distribution[random.nextInt(classes)] = 1.0;
      return distribution;
    }
    for (int c = 0; c < classes; c++) {
      distribution[c] /= total;
    }
    return distribution;
  }

  private static void assertRelativelyClose(
      final double actual, final double expected, final double absolute) {
    assertThat(actual)
        .isFinite()
        .isCloseTo(expected, offset(Math.max(absolute, RELATIVE * Math.abs(expected))));
  }

  static Stream<Named<LogLossCase>> logLossCases() {
    return Fixtures.load().logLoss().stream().map(c -> Named.of(c.name(), c));
  }

  static Stream<Named<KlCase>> klCases() {
    return Fixtures.load().kl().stream().map(c -> Named.of(c.name(), c));
  }

  static Stream<Named<LabelDriftCase>> labelDriftCases() {
    return Fixtures.load().labelDrift().stream().map(c -> Named.of(c.name(), c));
  }

  /** A batch of events: predicted distributions and true label indices. */
  record LogLossCase(
      String name,
      int classes,
      double[][] probabilities,
      int[] labels,
      double expectedMeanLogLoss) {}

  /** A reference p and a prediction q over the same classes. */
  record KlCase(
      String name,
      double[] p,
      double[] q,
      double expectedKlDivergence,
      double expectedEntropy,
      double expectedCrossEntropy) {}

  /** A reference p and a window's label counts over the same classes. */
  record LabelDriftCase(String name, double[] p, long[] labelCounts, double expectedLabelDrift) {}

  /** The content of {@code fixtures/math-fixtures.json}. */
  record Fixtures(
      String generator,
      long seed,
      Map<String, String> versions,
      List<LogLossCase> logLoss,
      List<KlCase> kl,
      List<LabelDriftCase> labelDrift) {

    private static final String RESOURCE = "/fixtures/math-fixtures.json";

    static Fixtures load() {
      // Unknown, missing or null fields fail the read: a renamed field must not become 0.0.
      final ObjectMapper mapper =
          new ObjectMapper()
              .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
              .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
      try (InputStream in = InformationTheoryTest.class.getResourceAsStream(RESOURCE)) {
        assertThat(in).as(RESOURCE).isNotNull();
        return mapper.readValue(in, Fixtures.class);
      } catch (final IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
