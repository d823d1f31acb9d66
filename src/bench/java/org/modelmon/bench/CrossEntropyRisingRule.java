package org.modelmon.bench;

/**
 * The arithmetic of the {@code ModelCrossEntropyRising} alert of
 * deploy/prometheus/modelmon-rules.yml (as on main at 4310506), evaluated once per 1-minute window
 * on exact window sums instead of Prometheus's extrapolated {@code rate()}s:
 *
 * <ul>
 *   <li>mean5m, mean1h: Σℓ / Σn over the last 5 and 60 windows;
 *   <li>rise_threshold: rise factor (1.5) × the 1d mean of a day ago, i.e. Σℓ / Σn over the windows
 *       [t − 2d, t − 1d), which exists once a day of history lies behind t − 1d's evaluation
 *       (Prometheus's {@code rate(...[1d])} is defined as soon as there are two samples; here at
 *       least an hour of windows is asked for);
 *   <li>condition: mean5m &gt; threshold and mean1h &gt; threshold and Σn over 5m ≥ 100;
 *   <li>{@code for: 10m}: firing from the 11th consecutive evaluation with the condition true.
 * </ul>
 *
 * <p>Kept apart and small so that it can be replaced when the rule changes: only {@link #step}
 * knows the rule.
 */
final class CrossEntropyRisingRule implements WindowMonitor {

  static final double RISE_FACTOR = 1.5;
  static final int SHORT_WINDOWS = 5;
  static final int LONG_WINDOWS = 60;
  static final int DAY_WINDOWS = DriftTraffic.WINDOWS_PER_DAY;
  static final long MIN_EVENTS_SHORT = 100;
  static final int FOR_EVALUATIONS = 10;
  static final int MIN_BASELINE_WINDOWS = 60;

  /** Prefix sums: entry i holds the sums over windows [0, i). */
  private final double[] lossPrefix;

  private final long[] countPrefix;
  private int pendingFor = -1;

  CrossEntropyRisingRule(final int windows) {
    lossPrefix = new double[windows + 1];
    countPrefix = new long[windows + 1];
  }

  @Override
  public String name() {
    return "ModelCrossEntropyRising";
  }

  @Override
  public boolean step(final int index, final long startMillis, final DriftTraffic.WindowSums sums) {
    lossPrefix[index + 1] = lossPrefix[index] + sums.logLoss;
    countPrefix[index + 1] = countPrefix[index] + sums.labelled;
    final int end = index + 1; // windows [0, end) are final
    final int baselineEnd = end - DAY_WINDOWS;
    final int baselineStart = Math.max(0, baselineEnd - DAY_WINDOWS);
    boolean condition = false;
    if (baselineEnd - baselineStart >= MIN_BASELINE_WINDOWS && end >= LONG_WINDOWS) {
      final double threshold = RISE_FACTOR * mean(baselineStart, baselineEnd);
      final long shortCount = countPrefix[end] - countPrefix[end - SHORT_WINDOWS];
      condition =
          shortCount >= MIN_EVENTS_SHORT
              && mean(end - SHORT_WINDOWS, end) > threshold
              && mean(end - LONG_WINDOWS, end) > threshold;
    }
    pendingFor = condition ? pendingFor + 1 : -1;
    return pendingFor >= FOR_EVALUATIONS;
  }

  private double mean(final int from, final int to) {
    final long count = countPrefix[to] - countPrefix[from];
    return count == 0 ? Double.NaN : (lossPrefix[to] - lossPrefix[from]) / count;
  }
}
