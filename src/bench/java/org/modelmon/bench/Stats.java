package org.modelmon.bench;

import java.util.Arrays;

/** Small statistics over a benchmark's runs. */
final class Stats {

  private Stats() {}

  /** The median; the mean of the middle two for an even count. */
  static double median(final double[] values) {
    final double[] sorted = values.clone();
    Arrays.sort(sorted);
    final int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }
}
