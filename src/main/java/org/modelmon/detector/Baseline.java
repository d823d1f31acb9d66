package org.modelmon.detector;

import java.util.List;

/**
 * What a (model, version) learnt in its warm-up: the excess log loss per labelled event it normally
 * has at each confidence level, and how much more its windows scatter than their null variance
 * says.
 *
 * @param pooled μ = Σ_w E_w / Σ_w n_w over the warm-up
 * @param byBin μ_b per confidence bin: Σ_w E_{w,b} / Σ_w n_{w,b} where the bin had at least {@code
 *     modelmon.detector.min.bin} warm-up events, else the pooled μ
 * @param dispersion φ = max(1, Σ_w (E_w − e_w)² / V_w / (W − 1)) over the warm-up windows
 */
public record Baseline(double pooled, double[] byBin, double dispersion) {

  /** Learns the baseline from the warm-up's evidence windows, at least 2 of them. */
  static Baseline learn(final List<WindowEvidence> warmup, final long minBin) {
    final int bins = warmup.get(warmup.size() - 1).bins();
    double excess = 0;
    long labelled = 0;
    final double[] binExcess = new double[bins];
    final long[] binLabelled = new long[bins];
    for (final WindowEvidence window : warmup) {
      excess += window.excess();
      labelled += window.labelled();
      if (window.bins() == bins) {
        for (int b = 0; b < bins; b++) {
          binExcess[b] += window.binExcess()[b];
          binLabelled[b] += window.binLabelled()[b];
        }
      }
    }
    final double pooled = excess / labelled;
    final double[] byBin = new double[bins];
    for (int b = 0; b < bins; b++) {
      byBin[b] = binLabelled[b] >= minBin ? binExcess[b] / binLabelled[b] : pooled;
    }
    final Baseline undispersed = new Baseline(pooled, byBin, 1.0);
    double scatter = 0;
    for (final WindowEvidence window : warmup) {
      final double deviation = window.excess() - undispersed.expectedExcess(window);
      scatter += deviation * deviation / window.nullVariance();
    }
    return new Baseline(pooled, byBin, Math.max(1.0, scatter / (warmup.size() - 1)));
  }

  /**
   * e_w = Σ_b n_{w,b}·μ_b, the excess the window's mix of confident and unsure predictions makes
   * expected. Labelled events no bin holds — in a window open when {@code
   * modelmon.calibration.bins} changed, whose bins start afresh — count at the pooled μ, as do all
   * of a window whose bins do not match the baseline's.
   */
  double expectedExcess(final WindowEvidence window) {
    if (window.bins() != byBin.length) {
      return window.labelled() * pooled;
    }
    double expected = 0;
    long binned = 0;
    for (int b = 0; b < byBin.length; b++) {
      expected += window.binLabelled()[b] * byBin[b];
      binned += window.binLabelled()[b];
    }
    return binned == window.labelled()
        ? expected
        : expected + (window.labelled() - binned) * pooled;
  }

  /** The standardised excess z_w = (E_w − e_w) / √(φ·V_w) of an evidence window. */
  double standardise(final WindowEvidence window) {
    return (window.excess() - expectedExcess(window))
        / Math.sqrt(dispersion * window.nullVariance());
  }
}
