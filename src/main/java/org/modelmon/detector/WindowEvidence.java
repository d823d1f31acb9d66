package org.modelmon.detector;

import org.modelmon.window.WindowAggregate;

/**
 * The outcome side of one final window, as the detector reads it.
 *
 * @param startMillis the window's start
 * @param endMillis its end
 * @param labelled n_w, its labelled events
 * @param excess E_w = Σ(ℓ − H(q))
 * @param nullVariance V_w = ΣV(q)
 * @param binLabelled n_{w,b} per confidence bin
 * @param binExcess E_{w,b} per confidence bin
 * @param binNullVariance V_{w,b} per confidence bin
 */
public record WindowEvidence(
    long startMillis,
    long endMillis,
    long labelled,
    double excess,
    double nullVariance,
    long[] binLabelled,
    double[] binExcess,
    double[] binNullVariance) {

  private static final long[] NO_COUNTS = {};
  private static final double[] NO_SUMS = {};

  /**
   * The evidence of a final window [{@code startMillis}, {@code endMillis}) with sums {@code sums}.
   * A window holding events summed before the bins kept ΣV(q) (an upgrade in its lifetime) comes
   * without bins, which the baseline scores at its pooled rate.
   */
  public static WindowEvidence of(
      final long startMillis, final long endMillis, final WindowAggregate sums) {
    final int size = sums.calibrationBins();
    final long[] binLabelled = new long[size];
    final double[] binExcess = new double[size];
    final double[] binNullVariance = new double[size];
    boolean binsKnown = true;
    for (int b = 0; b < size; b++) {
      binLabelled[b] = sums.binLabelled(b);
      binExcess[b] = sums.binExcessLogLossSum(b);
      binNullVariance[b] = sums.binNullVarianceSum(b);
      binsKnown &= !Double.isNaN(binNullVariance[b]);
    }
    return new WindowEvidence(
        startMillis,
        endMillis,
        sums.labelled(),
        sums.excessLogLossSum(),
        sums.nullVarianceSum(),
        binsKnown ? binLabelled : NO_COUNTS,
        binsKnown ? binExcess : NO_SUMS,
        binsKnown ? binNullVariance : NO_SUMS);
  }

  /** B, the number of confidence bins; 0 for a window without them. */
  public int bins() {
    return binLabelled.length;
  }
}
