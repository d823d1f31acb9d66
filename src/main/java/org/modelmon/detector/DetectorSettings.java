package org.modelmon.detector;

/**
 * The drift detector's settings ({@code modelmon.detector.*}).
 *
 * @param window the label of the window size the detector reads ({@code modelmon.detector.window})
 * @param minLabelled fewest labelled events for a window to carry evidence
 * @param warmup W, the evidence windows that learn the baseline, at least 2
 * @param minBin fewest warm-up events for a confidence bin to get a baseline of its own
 * @param k the CUSUM's allowance, in standard deviations per window
 * @param h the CUSUM's threshold: the state becomes ALARM when the statistic reaches it
 */
public record DetectorSettings(
    String window, long minLabelled, int warmup, long minBin, double k, double h) {

  public DetectorSettings {
    if (warmup < 2) {
      throw new IllegalArgumentException("warmup must be at least 2, got " + warmup);
    }
  }
}
