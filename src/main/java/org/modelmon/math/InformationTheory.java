package org.modelmon.math;

/**
 * The information measures modelmon reports, in nats (docs/reference.md#the-math).
 *
 * <p>Everything rests on one identity: H(p,q) = D(p‖q) + H(p). With a one-hot true label (p = δ_y)
 * H(p) = 0, so the per-event log loss −ln q(y) is at once the cross entropy and the KL divergence
 * from the truth to the prediction; summed over events it is the negative log-likelihood, which is
 * why minimising log loss is maximum likelihood.
 *
 * <p>Every q(c) that enters the logarithm of a log loss, cross entropy or KL divergence is clipped
 * to at least {@code epsilon}; the prediction entropy H(q) and null variance V(q) need no clipping
 * (0 ln 0 = 0). p(c) = 0 terms contribute 0. This class has no state and no dependencies beyond
 * {@link Math}.
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
   * observed label mix over the K reference classes, smoothed so that an unseen class does not make
   * the divergence infinite.
   *
   * @param p reference distribution over K classes
   * @param labelCounts n_c for each of the K reference classes
   */
  public static double labelDrift(
      final double[] p, final long[] labelCounts, final double epsilon) {
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

  // --- Calibration: what the model expects of itself ---------------------------------------

  /**
   * Null variance V(q) = Σ q(c) (ln q(c))² − H(q)², terms with q(c) = 0 being 0: the variance of
   * the log loss if q is calibrated (its mean then being the prediction entropy H(q), {@link
   * #entropy}).
   *
   * <p>Computed as Σ q(c) (−ln q(c) − H(q))², equal for a q that sums to 1, which modelmon's are:
   * the difference of the two sums cancels catastrophically for a confident prediction, and could
   * even come out negative.
   */
  public static double nullVariance(final double[] q) {
    final double[] logs = new double[q.length];
    return nullVariance(q, logs, entropy(q, logs));
  }

  /**
   * Prediction entropy H(q), as {@link #entropy(double[])}, leaving ln q(c) in {@code logs} (0
   * where q(c) = 0) so that the null variance and the log loss of the same event take no logarithm
   * again.
   *
   * @param q a distribution
   * @param logs at least as long as {@code q}; overwritten
   */
  public static double entropy(final double[] q, final double[] logs) {
    double entropy = 0.0;
    for (int c = 0; c < q.length; c++) {
      final double qc = q[c];
      final double log = qc > 0.0 ? Math.log(qc) : 0.0;
      logs[c] = log;
      entropy -= qc * log;
    }
    return entropy;
  }

  /**
   * Null variance V(q), as {@link #nullVariance(double[])}, from the logarithms and entropy that
   * {@link #entropy(double[], double[])} left.
   */
  public static double nullVariance(final double[] q, final double[] logs, final double entropy) {
    double variance = 0.0;
    for (int c = 0; c < q.length; c++) {
      final double qc = q[c];
      if (qc > 0.0) {
        final double deviation = -logs[c] - entropy;
        variance += qc * deviation * deviation;
      }
    }
    return variance;
  }

  /** Brier score Σ_c (q(c) − [c = y])², in [0, 2]. */
  public static double brierScore(final double[] q, final int label) {
    double score = 0.0;
    for (int c = 0; c < q.length; c++) {
      final double difference = q[c] - (c == label ? 1.0 : 0.0);
      score += difference * difference;
    }
    return score;
  }

  /** Confidence max_c q(c): the probability of the predicted (top) class. */
  public static double confidence(final double[] q) {
    return q[topClass(q)];
  }

  /**
   * Whether the label is the predicted class: the first class of largest q in the event's class
   * order, so that a tie goes to the class listed first.
   */
  public static boolean isCorrect(final double[] q, final int label) {
    return topClass(q) == label;
  }

  /**
   * The predicted class: the index of the first class of largest q, so that a tie goes to the
   * class listed first. Its q is the confidence; the prediction is correct when it is the label.
   */
  public static int topClass(final double[] q) {
    int top = 0;
    for (int c = 1; c < q.length; c++) {
      if (q[c] > q[top]) {
        top = c;
      }
    }
    return top;
  }

  /**
   * The calibration z-score Σ(ℓ − H(q)) / √ΣV(q) of a set of labelled events: for a calibrated
   * model each ℓ has mean H(q) and variance V(q), so the score is about N(0, 1); a model that
   * claims more certainty than the world grants scores far above 0.
   *
   * @param excessLogLossSum Σ(ℓ − H(q))
   * @param nullVarianceSum ΣV(q), greater than 0
   */
  public static double calibrationZ(final double excessLogLossSum, final double nullVarianceSum) {
    return excessLogLossSum / Math.sqrt(nullVarianceSum);
  }

  /** The top-label confidence bin of {@code confidence}: min(⌊confidence·B⌋, B − 1). */
  public static int calibrationBin(final double confidence, final int bins) {
    // A cast floors a non-negative number, as Math.floor would.
    return Math.min((int) (confidence * bins), bins - 1);
  }

  /**
   * Expected calibration error Σ_b (n_b/n)·|correct_b/n_b − Σconfidence_b/n_b| over the non-empty
   * bins, which is Σ_b |correct_b − Σconfidence_b| / n: from additive per-bin sums, so that it
   * combines exactly across partitions.
   *
   * @param labelled n_b per bin
   * @param confidenceSums Σ confidence per bin
   * @param correct correct predictions per bin
   * @return the error, or NaN when no bin has an event
   */
  public static double expectedCalibrationError(
      final long[] labelled, final double[] confidenceSums, final long[] correct) {
    long n = 0;
    final CompensatedSum gaps = new CompensatedSum();
    for (int b = 0; b < labelled.length; b++) {
      if (labelled[b] > 0) {
        n += labelled[b];
        gaps.add(Math.abs(correct[b] - confidenceSums[b]));
      }
    }
    return n == 0 ? Double.NaN : gaps.value() / n;
  }
}
