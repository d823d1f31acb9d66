package org.modelmon.bench;

/**
 * The arithmetic of the {@code ModelCrossEntropyRising} alert of
 * deploy/prometheus/modelmon-rules.yml, evaluated once per 1-minute window on exact window sums
 * instead of Prometheus's extrapolated {@code rate()}s:
 *
 * <ul>
 *   <li>mean5m, mean1h, mean6h: Σℓ / Σn over the last 5, 60 and 360 windows;
 *   <li>baseline1h, baseline6h: the worse (higher) of mean1h (mean6h) a day and a week earlier,
 *       whichever exist (a week-old one only after a week of history);
 *   <li>fast pair: mean1h &gt; 1.5 × baseline1h and mean5m &gt; 1.5 × baseline1h, on Σn ≥ 100 in
 *       the hour;
 *   <li>slow pair: mean6h &gt; 1.2 × baseline6h and mean1h &gt; 1.2 × baseline6h, on Σn ≥ 100 in 6
 *       hours;
 *   <li>{@code for: 15m}: firing from the 16th consecutive evaluation with either pair true; {@code
 *       keep_firing_for: 30m}: still firing for 30 evaluations after it stops being true.
 * </ul>
 *
 * <p>Kept apart and small so that it can be replaced when the rule changes: only {@link #step}
 * knows the rule.
 */
final class CrossEntropyRisingRule implements WindowMonitor {

  static final double RISE_FACTOR = 1.5;
  static final double SLOW_RISE_FACTOR = 1.2;
  static final int SHORT_WINDOWS = 5;
  static final int HOUR_WINDOWS = 60;
  static final int SIX_HOUR_WINDOWS = 360;
  static final int DAY_WINDOWS = DriftTraffic.WINDOWS_PER_DAY;
  static final int WEEK_WINDOWS = 7 * DAY_WINDOWS;
  static final long MIN_EVENTS = 100;
  static final int FOR_EVALUATIONS = 15;
  static final int KEEP_FIRING_EVALUATIONS = 30;

  /** Prefix sums: entry i holds the sums over windows [0, i). */
  private final double[] lossPrefix;

  private final long[] countPrefix;
  private int pendingFor = -1;
  private int keepFiring = -1;

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
    final boolean condition = fastPair(end) || slowPair(end);
    pendingFor = condition ? pendingFor + 1 : -1;
    if (pendingFor >= FOR_EVALUATIONS) {
      keepFiring = KEEP_FIRING_EVALUATIONS;
      return true;
    }
    if (keepFiring > 0 && !condition) {
      keepFiring--;
      return true;
    }
    keepFiring = -1;
    return false;
  }

  private boolean fastPair(final int end) {
    final double baseline = baseline(end, HOUR_WINDOWS);
    return !Double.isNaN(baseline)
        && count(end - HOUR_WINDOWS, end) >= MIN_EVENTS
        && mean(end - HOUR_WINDOWS, end) > RISE_FACTOR * baseline
        && mean(end - SHORT_WINDOWS, end) > RISE_FACTOR * baseline;
  }

  private boolean slowPair(final int end) {
    final double baseline = baseline(end, SIX_HOUR_WINDOWS);
    return !Double.isNaN(baseline)
        && count(end - SIX_HOUR_WINDOWS, end) >= MIN_EVENTS
        && mean(end - SIX_HOUR_WINDOWS, end) > SLOW_RISE_FACTOR * baseline
        && mean(end - HOUR_WINDOWS, end) > SLOW_RISE_FACTOR * baseline;
  }

  /** The worse of the mean over {@code span} windows a day and a week before {@code end}. */
  private double baseline(final int end, final int span) {
    double worst = Double.NaN;
    for (final int back : new int[] {DAY_WINDOWS, WEEK_WINDOWS}) {
      final double earlier = mean(end - back - span, end - back);
      if (!Double.isNaN(earlier) && (Double.isNaN(worst) || earlier > worst)) {
        worst = earlier;
      }
    }
    return worst;
  }

  private long count(final int from, final int to) {
    return from < 0 ? 0 : countPrefix[to] - countPrefix[from];
  }

  private double mean(final int from, final int to) {
    if (from < 0) {
      return Double.NaN;
    }
    final long count = countPrefix[to] - countPrefix[from];
    return count == 0 ? Double.NaN : (lossPrefix[to] - lossPrefix[from]) / count;
  }
}
