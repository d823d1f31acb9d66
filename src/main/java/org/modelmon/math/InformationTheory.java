package org.modelmon.math;

/**
 * The information measures modelmon reports, in nats (docs/reference.md#the-math).
 *
 * <p>Everything rests on one identity: H(p,q) = D(p‖q) + H(p). With a one-hot true label
 * (p = δ_y) H(p) = 0, so the per-event log loss −ln q(y) is at once the cross entropy and the KL
 * divergence from the truth to the prediction; summed over events it is the negative
 * log-likelihood, which is why minimising log loss is maximum likelihood.
 *
 * <p>Every q(c) that enters a logarithm is clipped to at least {@code epsilon}; p(c) = 0 terms
 * contribute 0. This class has no state and no dependencies beyond {@link Math}.
 */
public final class InformationTheory {

  private InformationTheory() {}

  /** Log loss ℓ = −ln q(y): the cross entropy of q against the one-hot true label y. */
  public static double logLoss(final double probabilityOfLabel, final double epsilon) {
    // 0.0 − x rather than −x: a certain, correct prediction scores +0.0 like crossEntropy, not
    // −0.0, which compares below 0 and would be written as "-0.0".
    return 0.0 - Math.log(Math.max(probabilityOfLabel, epsilon));
  }

  /** Entropy H(p) = −Σ p(c) ln p(c), with 0 ln 0 = 0. */
  public static double entropy(final double[] p) {
    double entropy = 0.0;
    for (final double pc : p) {
      if (pc > 0.0) {
        entropy -= pc * Math.log(pc);
      }
    }
    return entropy;
  }

  /**
   * KL divergence D(p‖q) = Σ p(c) ln(p(c)/q(c)), q clipped at {@code epsilon}.
   *
   * <p>Computed term by term from the ratio rather than as H(p,q) − H(p), so that a small
   * divergence keeps its relative precision.
   *
   * @param p reference distribution
   * @param q predicted distribution over the same classes, in the same order
   */
  public static double klDivergence(final double[] p, final double[] q, final double epsilon) {
    double divergence = 0.0;
    for (int c = 0; c < p.length; c++) {
      final double pc = p[c];
      if (pc > 0.0) {
        divergence += pc * Math.log(pc / Math.max(q[c], epsilon));
      }
    }
    // Gibbs' inequality makes D ≥ 0; rounding (or mass added by clipping) can leave −1e-16,
    // which a Prometheus counter would refuse.
    return Math.max(0.0, divergence);
  }

  /**
   * Cross entropy H(p,q) = −Σ p(c) ln q(c), q clipped at {@code epsilon}, computed directly.
   *
   * <p>Scoring derives it as {@link #crossEntropyFromIdentity}; this direct form exists so that
   * tests can hold the two against each other.
   */
  public static double crossEntropy(final double[] p, final double[] q, final double epsilon) {
    double crossEntropy = 0.0;
    for (int c = 0; c < p.length; c++) {
      final double pc = p[c];
      if (pc > 0.0) {
        crossEntropy -= pc * Math.log(Math.max(q[c], epsilon));
      }
    }
    return crossEntropy;
  }

  /** H(p,q) = D(p‖q) + H(p): the identity modelmon is built on. */
  public static double crossEntropyFromIdentity(
      final double klDivergence, final double referenceEntropy) {
    return klDivergence + referenceEntropy;
  }

  /**
   * Label drift D(p ‖ p̂) of a window, where p̂(c) = (n_c + 0.5) / (n + 0.5·K) is the window's
   * observed label mix over the K reference classes, smoothed so that an unseen class does not
   * make the divergence infinite.
   *
   * @param p reference distribution over K classes
   * @param labelCounts n_c for each of the K reference classes
   */
  public static double labelDrift(final double[] p, final long[] labelCounts, final double epsilon) {
    long n = 0;
    for (final long count : labelCounts) {
      n += count;
    }
    final double denominator = n + 0.5 * p.length;
    final double[] observed = new double[p.length];
    for (int c = 0; c < p.length; c++) {
      observed[c] = (labelCounts[c] + 0.5) / denominator;
    }
    return klDivergence(p, observed, epsilon);
  }

  /**
   * Prediction drift D(p ‖ q̄), where q̄ is the window's mean predicted distribution.
   *
   * @param p reference distribution over K classes
   * @param meanPrediction q̄ over the same K classes (0 for a class no event predicted)
   */
  public static double predictionDrift(
      final double[] p, final double[] meanPrediction, final double epsilon) {
    return klDivergence(p, meanPrediction, epsilon);
  }
}
