package org.modelmon.detector;

/** Where a (model, version)'s drift detector stands. */
public enum DetectorState {
  /** Learning the baseline from the first evidence windows. */
  WARMUP,
  /** Comparing each window's excess log loss with the baseline. */
  WATCHING,
  /** The statistic reached the threshold; until it returns to 0. */
  ALARM
}
