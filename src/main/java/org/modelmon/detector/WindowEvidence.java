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
 */
public record WindowEvidence(
    long startMillis,
    long endMillis,
    long labelled,
    double excess,
    double nullVariance,
    long[] binLabelled,
    double[] binExcess) {

  /**
   * The evidence of a final window [{@code startMillis}, {@code endMillis}) with sums {@code sums}.
   */
  public static WindowEvidence of(
      final long startMillis, final long endMillis, final WindowAggregate sums) {
    final int size = sums.calibrationBins();
    final long[] binLabelled = new long[size];
    final double[] binExcess = new double[size];
    for (int b = 0; b < size; b++) {
      binLabelled[b] = sums.binLabelled(b);
      binExcess[b] = sums.binExcessLogLossSum(b);
    }
    return new WindowEvidence(
        startMillis,
        endMillis,
        sums.labelled(),
        sums.excessLogLossSum(),
        sums.nullVarianceSum(),
        binLabelled,
        binExcess);
  }

  /** B, the number of confidence bins. */
  public int bins() {
    return binLabelled.length;
  }
}
