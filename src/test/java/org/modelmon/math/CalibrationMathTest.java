package org.modelmon.math;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The calibration measures of {@link InformationTheory} — prediction entropy H(q), null variance
 * V(q), Brier score, confidence, correctness, confidence bins and expected calibration error —
 * against values SciPy, scikit-learn and numpy computed
 * ({@code src/test/resources/fixtures/generate_calibration_fixtures.py}), and by hand.
 */
class CalibrationMathTest {

  private static final double RELATIVE = 1e-9;
  // For values that are 0 in exact arithmetic (a uniform or one-hot q has V = 0).
  private static final double ABSOLUTE = 1e-12;

  private static final JsonNode FIXTURES = load();

  private static JsonNode load() {
    try (InputStream in =
        CalibrationMathTest.class.getResourceAsStream("/fixtures/calibration-fixtures.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Stream<JsonNode> batches() {
    final List<JsonNode> batches = new ArrayList<>();
    FIXTURES.get("batches").forEach(batches::add);
    return batches.stream();
  }

  private static double[] q(final JsonNode event) {
    final double[] q = new double[event.get("q").size()];
    for (int c = 0; c < q.length; c++) {
      q[c] = event.get("q").get(c).asDouble();
    }
    return q;
  }

  private static void assertClose(final double actual, final double expected, final String what) {
    assertThat(actual)
        .as(what)
        .isCloseTo(expected, within(Math.max(ABSOLUTE, RELATIVE * Math.abs(expected))));
  }

  @Test
  void shouldReadFixturesMadeByTheReferenceLibraries() {
    assertThat(FIXTURES.get("versions").has("scipy")).isTrue();
    assertThat(FIXTURES.get("versions").has("scikit-learn")).isTrue();
    assertThat(FIXTURES.get("batches").size()).isGreaterThanOrEqualTo(5);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batches")
  void shouldAgreeEventByEventWithScipyAndNumpy(final JsonNode batch) {
    int i = 0;
    for (final JsonNode event : batch.get("events")) {
      final double[] q = q(event);
      final int label = event.get("label").asInt();
      final String at = batch.get("name").asText() + " #" + i++;
      assertClose(InformationTheory.entropy(q), event.get("entropy").asDouble(), "H(q) " + at);
      assertClose(
          InformationTheory.nullVariance(q), event.get("nullVariance").asDouble(), "V(q) " + at);
      assertThat(InformationTheory.nullVariance(q)).as("V(q) ≥ 0 " + at).isNotNegative();
      assertClose(
          InformationTheory.brierScore(q, label), event.get("brier").asDouble(), "Brier " + at);
      assertThat(InformationTheory.confidence(q))
          .as("confidence " + at)
          .isEqualTo(event.get("confidence").asDouble());
      assertThat(InformationTheory.isCorrect(q, label))
          .as("correct " + at)
          .isEqualTo(event.get("correct").asInt() == 1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batches")
  void shouldAgreeBatchByBatchWithScikitLearn(final JsonNode batch) {
    final int bins = FIXTURES.get("bins").asInt();
    final long[] labelled = new long[bins];
    final double[] confidenceSums = new double[bins];
    final long[] correctByBin = new long[bins];
    final CompensatedSum brier = new CompensatedSum();
    long correct = 0;
    int n = 0;
    for (final JsonNode event : batch.get("events")) {
      final double[] q = q(event);
      final int label = event.get("label").asInt();
      final double confidence = InformationTheory.confidence(q);
      final int bin = InformationTheory.calibrationBin(confidence, bins);
      final boolean isCorrect = InformationTheory.isCorrect(q, label);
      labelled[bin]++;
      confidenceSums[bin] += confidence;
      correctByBin[bin] += isCorrect ? 1 : 0;
      correct += isCorrect ? 1 : 0;
      brier.add(InformationTheory.brierScore(q, label));
      n++;
    }
    assertClose((double) correct / n, batch.get("accuracy").asDouble(), "accuracy_score");
    assertClose(
        InformationTheory.expectedCalibrationError(labelled, confidenceSums, correctByBin),
        batch.get("ece").asDouble(),
        "ECE");
    if (batch.has("meanBrierFromSklearn")) {
      assertClose(
          brier.value() / n,
          batch.get("meanBrierFromSklearn").asDouble(),
          "2 x brier_score_loss");
    }
  }

  @Test
  void shouldBreakTiesTowardTheClassListedFirst() {
    // The score form's rule: class "1" iff score > 0.5, so 0.5 predicts class "0".
    assertThat(InformationTheory.isCorrect(new double[] {0.5, 0.5}, 0)).isTrue();
    assertThat(InformationTheory.isCorrect(new double[] {0.5, 0.5}, 1)).isFalse();
    assertThat(InformationTheory.isCorrect(new double[] {0.2, 0.4, 0.4}, 1)).isTrue();
    assertThat(InformationTheory.isCorrect(new double[] {0.2, 0.4, 0.4}, 2)).isFalse();
  }

  @Test
  void shouldPutEachConfidenceInItsBinWithCertaintyInTheLast() {
    assertThat(InformationTheory.calibrationBin(0.0, 10)).isZero();
    assertThat(InformationTheory.calibrationBin(0.0999, 10)).isZero();
    assertThat(InformationTheory.calibrationBin(0.1, 10)).isEqualTo(1);
    assertThat(InformationTheory.calibrationBin(0.55, 10)).isEqualTo(5);
    assertThat(InformationTheory.calibrationBin(0.99, 10)).isEqualTo(9);
    assertThat(InformationTheory.calibrationBin(1.0, 10)).isEqualTo(9);
    assertThat(InformationTheory.calibrationBin(0.5, 2)).isEqualTo(1);
  }

  @Test
  void shouldComputeByHand() {
    // q = (0.7, 0.2, 0.1), label 1: Brier = 0.49 + 0.64 + 0.01.
    assertThat(InformationTheory.brierScore(new double[] {0.7, 0.2, 0.1}, 1))
        .isCloseTo(1.14, within(1e-15));
    // A binary q = (p, 1 − p) has V = p(1 − p)·(ln(p / (1 − p)))².
    final double p = 0.8;
    assertThat(InformationTheory.nullVariance(new double[] {p, 1 - p}))
        .isCloseTo(p * (1 - p) * Math.pow(Math.log(p / (1 - p)), 2), within(1e-15));
    // One bin of 4 events, 3 correct, Σ confidence 3.4: |3 − 3.4| / 4.
    assertThat(
            InformationTheory.expectedCalibrationError(
                new long[] {0, 4}, new double[] {0, 3.4}, new long[] {0, 3}))
        .isCloseTo(0.1, within(1e-15));
    assertThat(
            InformationTheory.expectedCalibrationError(
                new long[] {0, 0}, new double[] {0, 0}, new long[] {0, 0}))
        .isNaN();
  }
}
