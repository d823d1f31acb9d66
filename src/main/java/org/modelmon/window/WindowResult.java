package org.modelmon.window;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.modelmon.math.InformationTheory;
import org.modelmon.reference.Reference;

/**
 * The result of one final window: the record of the windows topic, the value of the window gauges
 * and an item of the API's window list (docs/reference.md#window-records). Reference-only fields
 * are {@code null}, and left out of the JSON, for a model without a reference.
 */
@JsonPropertyOrder({
  "model", "version", "window", "start", "end", "startMillis", "endMillis", "predictions",
  "logLossSum", "logLossMean", "klDivergenceSum", "klDivergenceMean",
  "referenceCrossEntropySum", "referenceCrossEntropyMean", "referenceEntropy", "labelDrift",
  "predictionDrift", "labelCounts", "meanPrediction", "classLogLoss"
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
    double logLossSum,
    double logLossMean,
    Double klDivergenceSum,
    Double klDivergenceMean,
    Double referenceCrossEntropySum,
    Double referenceCrossEntropyMean,
    Double referenceEntropy,
    Double labelDrift,
    Double predictionDrift,
    Map<String, Long> labelCounts,
    Map<String, Double> meanPrediction,
    Map<String, Double> classLogLoss) {

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
   * @param aggregate its sums, at least one prediction
   * @param reference the model's reference now, or {@code null}
   * @param epsilon the clipping floor for logarithms
   */
  public static WindowResult of(
      final OpenWindowKey key,
      final String windowLabel,
      final WindowAggregate aggregate,
      final Reference reference,
      final double epsilon) {
    final long count = aggregate.count();
    final Map<String, Long> labelCounts = new LinkedHashMap<>();
    final Map<String, Double> meanPrediction = new LinkedHashMap<>();
    final Map<String, Double> classLogLoss = new LinkedHashMap<>();
    for (final String className : aggregate.classes()) {
      final long labelled = aggregate.labelCount(className);
      labelCounts.put(className, labelled);
      meanPrediction.put(className, aggregate.predictionSum(className) / count);
      if (labelled > 0) {
        classLogLoss.put(className, aggregate.classLogLossSum(className) / labelled);
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
      referenceEntropy = reference.entropy();
      final double[] p = reference.distribution();
      final long[] referenceLabelCounts = new long[p.length];
      final double[] referenceMeanPrediction = new double[p.length];
      for (int c = 0; c < p.length; c++) {
        final String className = reference.classes().get(c);
        referenceLabelCounts[c] = aggregate.labelCount(className);
        referenceMeanPrediction[c] = aggregate.predictionSum(className) / count;
      }
      labelDrift = InformationTheory.labelDrift(p, referenceLabelCounts, epsilon);
      predictionDrift = InformationTheory.predictionDrift(p, referenceMeanPrediction, epsilon);
    }
    return new WindowResult(
        key.model(),
        key.version(),
        windowLabel,
        Instant.ofEpochMilli(key.startMillis()).toString(),
        Instant.ofEpochMilli(key.endMillis()).toString(),
        key.startMillis(),
        key.endMillis(),
        count,
        aggregate.logLossSum(),
        aggregate.logLossSum() / count,
        klSum,
        klMean,
        crossEntropySum,
        crossEntropyMean,
        referenceEntropy,
        labelDrift,
        predictionDrift,
        labelCounts,
        meanPrediction,
        classLogLoss);
  }
}
