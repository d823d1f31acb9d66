package org.modelmon.topology;

import java.util.Arrays;
import java.util.List;
import org.modelmon.event.PredictionEvent;
import org.modelmon.math.InformationTheory;
import org.modelmon.reference.Reference;
import org.modelmon.window.ScoredPrediction;

/**
 * Scores one valid prediction event (docs/reference.md#the-math): its log loss, what the model
 * expects of itself (prediction entropy H(q) and null variance V(q)), Brier score, confidence and
 * correctness, and with a reference its KL divergence D(p‖q) and reference cross entropy H(p,q).
 *
 * <p>Step 2 of the pipeline, kept apart from {@link ScoringProcessor} and free of Kafka so that the
 * benchmarks of the per-event hot path run this very code. Reuses a buffer between events, so an
 * instance is confined to one thread: one per processor.
 */
public final class PredictionScorer {

  private final double epsilon;
  private double[] alignedPrediction = new double[0];
  private double[] logs = new double[0];

  /**
   * @param epsilon {@code modelmon.epsilon}: the least q(c) that enters a logarithm
   */
  public PredictionScorer(final double epsilon) {
    this.epsilon = epsilon;
  }

  /**
   * Scores {@code event}.
   *
   * @param event a valid event, scored against {@link PredictionEvent#reference()} when it has one
   *     (the event lists every class the reference gives p(c) &gt; 0: the parser's {@code
   *     CLASS_MISMATCH} rule)
   * @return the event with its scores; the reference-only scores are NaN without a reference, the
   *     outcome scores (log loss, Brier) NaN without a label
   */
  public ScoredPrediction score(final PredictionEvent event) {
    final Reference reference = event.reference();
    final double[] q = event.probabilities();
    final List<String> classes = event.classes();
    final int label = event.labelIndex();
    if (logs.length < q.length) {
      logs = new double[q.length];
    }
    // One logarithm per class serves H(q), V(q) and, unless clipped, the log loss too.
    final double entropy = InformationTheory.entropy(q, logs);
    final double nullVariance = InformationTheory.nullVariance(q, logs, entropy);
    final boolean labelled = event.labelled();
    final double logLoss = labelled ? logLoss(q[label], logs[label]) : Double.NaN;
    final double brierScore = labelled ? InformationTheory.brierScore(q, label) : Double.NaN;
    final int top = InformationTheory.topClass(q);
    final double confidence = q[top];
    final boolean correct = labelled && top == label;
    if (reference == null) {
      return new ScoredPrediction(
          event.eventTimeMillis(),
          classes,
          q,
          label,
          logLoss,
          false,
          Double.NaN,
          Double.NaN,
          entropy,
          nullVariance,
          brierScore,
          confidence,
          correct);
    }
    final double[] qOverReference = alignToReference(q, event.referenceIndexes(), reference);
    final double kl = reference.klDivergenceTo(qOverReference, epsilon);
    final double crossEntropy = InformationTheory.crossEntropyFromIdentity(kl, reference.entropy());
    return new ScoredPrediction(
        event.eventTimeMillis(),
        classes,
        q,
        label,
        logLoss,
        true,
        kl,
        crossEntropy,
        entropy,
        nullVariance,
        brierScore,
        confidence,
        correct);
  }

  /** −ln q(y) from the logarithm already taken, unless q(y) is clipped at epsilon. */
  private double logLoss(final double labelProbability, final double labelLogarithm) {
    return labelProbability >= epsilon
        ? 0.0 - labelLogarithm
        : InformationTheory.logLoss(labelProbability, epsilon);
  }

  /** q re-indexed by the reference's classes (0 for a reference class the event lacks). */
  private double[] alignToReference(
      final double[] q, final int[] referenceIndexes, final Reference reference) {
    if (alignedPrediction.length != reference.size()) {
      alignedPrediction = new double[reference.size()];
    } else {
      Arrays.fill(alignedPrediction, 0.0);
    }
    for (int c = 0; c < q.length; c++) {
      final int index = referenceIndexes[c];
      if (index >= 0) {
        alignedPrediction[index] = q[c];
      }
    }
    return alignedPrediction;
  }
}
