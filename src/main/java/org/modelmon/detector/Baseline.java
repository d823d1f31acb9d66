package org.modelmon.detector;

import java.util.List;

/**
 * What a (model, version) learnt in its warm-up: the excess log loss it normally has at each
 * confidence level, and how much more its windows scatter than their null variance says.
 *
 * <p>The excess is learnt per unit of null variance, not per event. A model over-confident by a
 * temperature T, with true label distribution p ∝ q^(1/T), has E[ℓ − H(q)] ≈ (1 − 1/T)·V(q) to
 * first order: its excess grows with the spread of −ln q, which two predictions of the same
 * top-label confidence need not share. A rate per event would take a change of the input mix within
 * a confidence bin for drift; a rate per unit of V(q) follows it.
 *
 * @param meanExcess μ = Σ_w E_w / Σ_w n_w over the warm-up, nats per labelled event
 * @param meanExcessByBin μ_b = Σ_w E_{w,b} / Σ_w n_{w,b} where the bin had at least {@code
 *     modelmon.detector.min.bin} warm-up events, else μ: reported, not used to score
 * @param excessPerVariance β = Σ_w E_w / Σ_w V_w over the warm-up
 * @param excessPerVarianceByBin β_b = Σ_w E_{w,b} / Σ_w V_{w,b} where the bin had at least {@code
 *     modelmon.detector.min.bin} warm-up events and a null variance per event of at least a
 *     hundredth of the warm-up's (see {@link #MIN_RELATIVE_BIN_VARIANCE}), else β
 * @param dispersion φ = max(1, Σ_w (E_w − e_w)² / V_w / (W − 1)) over the warm-up windows
 */
public record Baseline(
    double meanExcess,
    double[] meanExcessByBin,
    double excessPerVariance,
    double[] excessPerVarianceByBin,
    double dispersion) {

  /**
   * The least null variance per event, relative to the warm-up's, of a bin that gets its own β_b.
   * Excess is not bounded by V(q) — the log loss is clipped at −ln ε, V(q) is not — so a bin of
   * near-certain predictions (V(q) near 0) that missed once would get a β_b of any size, even an
   * infinite one, and a later window with more variance in that bin would score as nonsense.
   */
  static final double MIN_RELATIVE_BIN_VARIANCE = 0.01;

  /** Learns the baseline from the warm-up's evidence windows, at least 2 of them. */
  static Baseline learn(final List<WindowEvidence> warmup, final long minBin) {
    // The bins of the last window that has any: a window open across an upgrade may have none.
    int bins = 0;
    for (int w = warmup.size() - 1; w >= 0 && bins == 0; w--) {
      bins = warmup.get(w).bins();
    }
    double excess = 0;
    double variance = 0;
    long labelled = 0;
    final double[] binExcess = new double[bins];
    final double[] binVariance = new double[bins];
    final long[] binLabelled = new long[bins];
    for (final WindowEvidence window : warmup) {
      excess += window.excess();
      variance += window.nullVariance();
      labelled += window.labelled();
      if (window.bins() == bins) {
        for (int b = 0; b < bins; b++) {
          binExcess[b] += window.binExcess()[b];
          binVariance[b] += window.binNullVariance()[b];
          binLabelled[b] += window.binLabelled()[b];
        }
      }
    }
    final double mean = excess / labelled;
    final double perVariance = excess / variance;
    final double leastVariancePerEvent = MIN_RELATIVE_BIN_VARIANCE * variance / labelled;
    final double[] meanByBin = new double[bins];
    final double[] perVarianceByBin = new double[bins];
    for (int b = 0; b < bins; b++) {
      final boolean enough = binLabelled[b] >= minBin;
      meanByBin[b] = enough ? binExcess[b] / binLabelled[b] : mean;
      perVarianceByBin[b] =
          enough && binVariance[b] >= leastVariancePerEvent * binLabelled[b]
              ? binExcess[b] / binVariance[b]
              : perVariance;
    }
    final Baseline undispersed = new Baseline(mean, meanByBin, perVariance, perVarianceByBin, 1.0);
    double scatter = 0;
    for (final WindowEvidence window : warmup) {
      final double deviation = window.excess() - undispersed.expectedExcess(window);
      scatter += deviation * deviation / window.nullVariance();
    }
    return new Baseline(
        mean,
        meanByBin,
        perVariance,
        perVarianceByBin,
        Math.max(1.0, scatter / (warmup.size() - 1)));
  }

  /**
   * e_w = Σ_b β_b·V_{w,b}, the excess the window's predictions make expected. Null variance no bin
   * holds — of events in a window open when {@code modelmon.calibration.bins} changed, whose bins
   * start afresh — counts at the pooled β, as does all of a window whose bins do not match the
   * baseline's.
   */
  double expectedExcess(final WindowEvidence window) {
    if (window.bins() != excessPerVarianceByBin.length) {
      return window.nullVariance() * excessPerVariance;
    }
    double expected = 0;
    double binned = 0;
    for (int b = 0; b < excessPerVarianceByBin.length; b++) {
      expected += window.binNullVariance()[b] * excessPerVarianceByBin[b];
      binned += window.binNullVariance()[b];
    }
    return expected + (window.nullVariance() - binned) * excessPerVariance;
  }

  /** The standardised excess z_w = (E_w − e_w) / √(φ·V_w) of an evidence window. */
  double standardise(final WindowEvidence window) {
    return (window.excess() - expectedExcess(window))
        / Math.sqrt(dispersion * window.nullVariance());
  }
}
