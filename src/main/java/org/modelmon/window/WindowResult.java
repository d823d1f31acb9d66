package org.modelmon.window;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.modelmon.math.InformationTheory;
import org.modelmon.reference.Reference;

/**
 * The result of one final window: the record of the windows topic, the value of the window gauges
 * and an item of the API's window list (docs/reference.md#window-records).
 *
 * <p>Its fields come in two sides. The prediction side counts every prediction at its event time:
 * predictions, KL divergence and reference cross entropy, prediction drift, what the model expects
 * of itself (prediction entropy H(q)), confidence and the mean prediction. The outcome side counts
 * labelled events: log loss, the excess log loss ℓ − H(q) and its z-score, Brier score, accuracy,
 * calibration error and bins, label drift, label counts and per-class log loss. Reference-only
 * fields are {@code null}, and left out of the JSON, for a model without a reference; so is a
 * side's mean when its count is 0, label drift without labelled events, and the z-score when ΣV(q)
 * = 0.
 */
@JsonPropertyOrder({
  "model",
  "version",
  "window",
  "start",
  "end",
  "startMillis",
  "endMillis",
  "predictions",
  "referencedPredictions",
  "klDivergenceSum",
  "klDivergenceMean",
  "referenceCrossEntropySum",
  "referenceCrossEntropyMean",
  "referenceEntropy",
  "predictionDrift",
  "predictionEntropySum",
  "predictionEntropyMean",
  "meanConfidence",
  "meanPrediction",
  "labelled",
  "logLossSum",
  "logLossMean",
  "excessLogLossSum",
  "excessLogLossMean",
  "calibrationZ",
  "brierScoreSum",
  "brierScoreMean",
  "correct",
  "accuracy",
  "calibrationError",
  "calibrationBins",
  "labelDrift",
  "labelCounts",
  "classLogLoss"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WindowResult(
    String model,
    String version,
    String window,
    String start,
    String end,
    long startMillis,
    long endMillis,
    long predictions,
    long referencedPredictions,
    Double klDivergenceSum,
    Double klDivergenceMean,
    Double referenceCrossEntropySum,
    Double referenceCrossEntropyMean,
    Double referenceEntropy,
    Double predictionDrift,
    double predictionEntropySum,
    Double predictionEntropyMean,
    Double meanConfidence,
    Map<String, Double> meanPrediction,
    Long labelled,
    double logLossSum,
    Double logLossMean,
    double excessLogLossSum,
    Double excessLogLossMean,
    Double calibrationZ,
    double brierScoreSum,
    Double brierScoreMean,
    long correct,
    Double accuracy,
    Double calibrationError,
    List<CalibrationBin> calibrationBins,
    Double labelDrift,
    Map<String, Long> labelCounts,
    Map<String, Double> classLogLoss) {

  /**
   * One top-label confidence bin of a window: the labelled events whose confidence fell in [upper −
   * 1/B, upper) (the last bin includes 1), their Σ confidence, how many were correct, and their Σ(ℓ
   * − H(q)). Mean confidence against accuracy per bin is the reliability diagram.
   *
   * @param upper the bin's upper edge, (b + 1)/B
   * @param labelled labelled events in the bin
   * @param confidenceSum their Σ confidence
   * @param correct those whose top class is the label
   * @param excessLogLossSum their Σ(ℓ − H(q))
   */
  public record CalibrationBin(
      double upper, long labelled, double confidenceSum, long correct, double excessLogLossSum) {}

  /**
   * A record read back from a store or a peer. One written before calibration (the window history
   * of an upgraded instance) has no {@code labelled}: every event of it was labelled.
   */
  public WindowResult {
    if (labelled == null) {
      labelled = predictions;
    }
  }

  /** Whether the reference-only fields are present. */
  public boolean hasReference() {
    return klDivergenceSum != null;
  }

  /** The key of this window's record on the windows topic: {@code model@version@window@start}. */
  public String topicKey() {
    return model + "@" + version + "@" + window + "@" + startMillis;
  }

  /**
   * Derives the final values of a window from its sums.
   *
   * @param key the window
   * @param windowLabel the window size as configured
   * @param aggregate its sums: at least one prediction, or one labelled event of a prediction whose
   *     label came later
   * @param reference the model's reference in force at the window's end, or {@code null}
   * @param epsilon the clipping floor for logarithms
   */
  public static WindowResult of(
      final OpenWindowKey key,
      final String windowLabel,
      final WindowAggregate aggregate,
      final Reference reference,
      final double epsilon) {
    final long count = aggregate.count();
    final long labelled = aggregate.labelled();
    final Map<String, Long> labelCounts = new LinkedHashMap<>();
    final Map<String, Double> meanPrediction = new LinkedHashMap<>();
    final Map<String, Double> classLogLoss = new LinkedHashMap<>();
    for (final String className : aggregate.classes()) {
      final long labels = aggregate.labelCount(className);
      labelCounts.put(className, labels);
      if (count > 0) {
        meanPrediction.put(className, aggregate.predictionSum(className) / count);
      }
      if (labels > 0) {
        classLogLoss.put(className, aggregate.classLogLossSum(className) / labels);
      }
    }
    Double klSum = null;
    Double klMean = null;
    Double crossEntropySum = null;
    Double crossEntropyMean = null;
    Double referenceEntropy = null;
    Double labelDrift = null;
    Double predictionDrift = null;
    final long referenced = aggregate.referencedCount();
    if (reference != null && referenced > 0) {
      klSum = aggregate.klDivergenceSum();
      klMean = klSum / referenced;
      crossEntropySum = aggregate.referenceCrossEntropySum();
      crossEntropyMean = crossEntropySum / referenced;
      final double[] referenceMeanPrediction = new double[reference.size()];
      for (int c = 0; c < referenceMeanPrediction.length; c++) {
        referenceMeanPrediction[c] = aggregate.predictionSum(reference.classes().get(c)) / count;
      }
      predictionDrift =
          InformationTheory.predictionDrift(
              reference.distribution(), referenceMeanPrediction, epsilon);
    }
    // An outcome-side value, of the labels the window holds: of labels that came later too, in
    // a window without the predictions they label. No labels, no label drift (smoothing would
    // make one up).
    if (reference != null && labelled > 0) {
      final long[] referenceLabelCounts = new long[reference.size()];
      for (int c = 0; c < referenceLabelCounts.length; c++) {
        referenceLabelCounts[c] = aggregate.labelCount(reference.classes().get(c));
      }
      labelDrift =
          InformationTheory.labelDrift(reference.distribution(), referenceLabelCounts, epsilon);
    }
    if (reference != null && (referenced > 0 || labelled > 0)) {
      referenceEntropy = reference.entropy();
    }
    final double nullVarianceSum = aggregate.nullVarianceSum();
    final double calibrationError = aggregate.expectedCalibrationError();
    return new WindowResult(
        key.model(),
        key.version(),
        windowLabel,
        Instant.ofEpochMilli(key.startMillis()).toString(),
        Instant.ofEpochMilli(key.endMillis()).toString(),
        key.startMillis(),
        key.endMillis(),
        count,
        referenced,
        klSum,
        klMean,
        crossEntropySum,
        crossEntropyMean,
        referenceEntropy,
        predictionDrift,
        aggregate.predictionEntropySum(),
        meanOf(aggregate.predictionEntropySum(), count),
        meanOf(aggregate.confidenceSum(), count),
        meanPrediction,
        labelled,
        aggregate.logLossSum(),
        meanOf(aggregate.logLossSum(), labelled),
        aggregate.excessLogLossSum(),
        meanOf(aggregate.excessLogLossSum(), labelled),
        nullVarianceSum > 0.0
            ? InformationTheory.calibrationZ(aggregate.excessLogLossSum(), nullVarianceSum)
            : null,
        aggregate.brierScoreSum(),
        meanOf(aggregate.brierScoreSum(), labelled),
        aggregate.correct(),
        meanOf(aggregate.correct(), labelled),
        Double.isNaN(calibrationError) ? null : calibrationError,
        bins(aggregate),
        labelDrift,
        labelCounts,
        classLogLoss);
  }

  private static Double meanOf(final double sum, final long count) {
    return count == 0 ? null : sum / count;
  }

  private static List<CalibrationBin> bins(final WindowAggregate aggregate) {
    final int size = aggregate.calibrationBins();
    final List<CalibrationBin> bins = new ArrayList<>(size);
    for (int b = 0; b < size; b++) {
      bins.add(
          new CalibrationBin(
              (b + 1) / (double) size,
              aggregate.binLabelled(b),
              aggregate.binConfidenceSum(b),
              aggregate.binCorrect(b),
              aggregate.binExcessLogLossSum(b)));
    }
    return List.copyOf(bins);
  }
}
