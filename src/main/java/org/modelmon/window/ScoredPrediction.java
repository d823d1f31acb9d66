package org.modelmon.window;

import java.util.List;

/**
 * A valid prediction event with its scores: the unit the windows add up.
 *
 * @param eventTimeMillis the event time
 * @param classes the event's class names
 * @param probabilities q over {@code classes}, summing to 1
 * @param labelIndex index of the true label in {@code classes}, or -1 for an unlabelled event
 *     (prediction side only), whose outcome scores are NaN and {@code correct} false
 * @param logLoss ℓ = −ln q(y)
 * @param referenced whether the model had a reference when scored; the next two are NaN if not
 * @param klDivergence D(p‖q)
 * @param referenceCrossEntropy H(p,q) = D(p‖q) + H(p)
 * @param predictionEntropy H(q): the log loss the model expects of itself
 * @param nullVariance V(q): the variance of the log loss if q is calibrated
 * @param brierScore Σ_c (q(c) − [c = y])²
 * @param confidence max_c q(c)
 * @param correct whether y is the first class of largest q
 */
public record ScoredPrediction(
    long eventTimeMillis,
    List<String> classes,
    double[] probabilities,
    int labelIndex,
    double logLoss,
    boolean referenced,
    double klDivergence,
    double referenceCrossEntropy,
    double predictionEntropy,
    double nullVariance,
    double brierScore,
    double confidence,
    boolean correct) {

  /** Whether the event carries its true label, and so counts on the outcome side. */
  public boolean labelled() {
    return labelIndex >= 0;
  }

  /**
   * The excess log loss ℓ − H(q): by H(p*,q) = H(p*) + D(p*‖q), zero on average for a calibrated
   * model and positive when the world is less predictable than the model claims.
   */
  public double excessLogLoss() {
    return logLoss - predictionEntropy;
  }
}
