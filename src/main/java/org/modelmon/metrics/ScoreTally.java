package org.modelmon.metrics;

import java.util.Arrays;
import org.modelmon.math.InformationTheory;
import org.modelmon.window.ScoredPrediction;

/**
 * What a stream task has scored of one (model, version) since it last added to the process
 * counters: the increments of every counter but the per-class label counts, summed in plain fields.
 * Adding a batch to the shared counters once a second instead of each event to each counter keeps
 * the per-event cost of a dozen counters at a few additions.
 *
 * <p>Mutable and confined to the stream thread of its task.
 */
public final class ScoreTally {

  long predictions;
  long referenced;
  double logLoss;
  double klDivergence;
  double referenceCrossEntropy;
  double predictionEntropy;
  long labelled;
  double labelledPredictionEntropy;
  double brierScore;
  long correct;
  final long[] binLabelled;
  final double[] binConfidence;
  final long[] binCorrect;

  /**
   * An empty tally.
   *
   * @param calibrationBins B, the confidence bins of the calibration counters
   */
  public ScoreTally(final int calibrationBins) {
    binLabelled = new long[calibrationBins];
    binConfidence = new double[calibrationBins];
    binCorrect = new long[calibrationBins];
  }

  /** Adds one scored prediction: its outcome scores only when it carries its label. */
  public void add(final ScoredPrediction scored) {
    predictions++;
    predictionEntropy += scored.predictionEntropy();
    if (scored.referenced()) {
      referenced++;
      klDivergence += scored.klDivergence();
      referenceCrossEntropy += scored.referenceCrossEntropy();
    }
    if (scored.labelled()) {
      addOutcome(scored);
    }
  }

  /**
   * Adds the outcome side only of a labelled prediction whose prediction side was added apart: a
   * prediction joined with a label that came later.
   */
  public void addOutcome(final ScoredPrediction scored) {
    labelled++;
    labelledPredictionEntropy += scored.predictionEntropy();
    logLoss += scored.logLoss();
    brierScore += scored.brierScore();
    final int bin = InformationTheory.calibrationBin(scored.confidence(), binLabelled.length);
    binLabelled[bin]++;
    binConfidence[bin] += scored.confidence();
    if (scored.correct()) {
      correct++;
      binCorrect[bin]++;
    }
  }

  /** Whether nothing was added since the last {@link #clear()}. */
  public boolean isEmpty() {
    return predictions == 0 && labelled == 0;
  }

  /** Forgets everything added. */
  public void clear() {
    predictions = 0;
    referenced = 0;
    logLoss = 0;
    klDivergence = 0;
    referenceCrossEntropy = 0;
    predictionEntropy = 0;
    labelled = 0;
    labelledPredictionEntropy = 0;
    brierScore = 0;
    correct = 0;
    Arrays.fill(binLabelled, 0);
    Arrays.fill(binConfidence, 0);
    Arrays.fill(binCorrect, 0);
  }
}
