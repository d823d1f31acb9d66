package org.modelmon.window;

import java.util.List;

/**
 * A valid prediction event with its scores: the unit the windows add up.
 *
 * @param eventTimeMillis the event time
 * @param classes the event's class names
 * @param probabilities q over {@code classes}, summing to 1
 * @param labelIndex index of the true label in {@code classes}
 * @param logLoss ℓ = −ln q(y)
 * @param referenced whether the model had a reference when scored; the next two are NaN if not
 * @param klDivergence D(p‖q)
 * @param referenceCrossEntropy H(p,q) = D(p‖q) + H(p)
 */
public record ScoredPrediction(
    long eventTimeMillis,
    List<String> classes,
    double[] probabilities,
    int labelIndex,
    double logLoss,
    boolean referenced,
    double klDivergence,
    double referenceCrossEntropy) {}
