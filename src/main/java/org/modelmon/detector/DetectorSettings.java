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

  /**
   * The settings a warm-up and its baseline depend on — the window size, W and the least events of
   * a bin — as one text: a detector status learnt under other ones starts over.
   */
  public String basis() {
    return window + "/" + warmup + "/" + minBin;
  }
}
